import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { runCli } from '../helpers/cli';
import { json, type Json } from '../helpers/http';
import { IIM, iptcSegment, jpegWith } from '../helpers/photos';
import { startApp, type TestApp } from '../helpers/strapi';

/**
 * With S3_BUCKET the media library stores files in S3-compatible storage through Strapi's official
 * provider, so every instance serves the same files. Tested against s3rver (a Node implementation
 * of S3's REST API that runs here: path-style buckets, SigV4-signed PutObject/GetObject/DeleteObject
 * with S3's XML errors) — what the provider uses. Not covered by it: ACL enforcement and
 * virtual-hosted bucket names, which this service does not rely on.
 */
const ROOT = join(__dirname, '..', '..');
const BUCKET = 'news-media';
let server: S3rver;
let endpoint: string;
let app: TestApp;
let dir: string;
let s3Env: Record<string, string>;

beforeAll(async () => {
  server = new S3rver({ port: 0, address: '127.0.0.1', directory: mkdtempSync(join(tmpdir(), 's3rver-')), silent: true, configureBuckets: [{ name: BUCKET, configs: [] }] });
  const { port } = (await server.run()) as unknown as { port: number };
  endpoint = `http://127.0.0.1:${port}`;
  // s3rver's built-in key pair; it checks the signatures made with it.
  s3Env = { S3_BUCKET: BUCKET, S3_ENDPOINT: endpoint, S3_FORCE_PATH_STYLE: 'true', S3_ACCESS_KEY_ID: 'S3RVER', S3_SECRET_ACCESS_KEY: 'S3RVER' };
  app = await startApp({ env: s3Env });
  dir = mkdtempSync(join(tmpdir(), 'photos-s3-'));
});
afterAll(async () => {
  await app?.stop();
  for (const name of Object.keys(s3Env ?? {})) delete process.env[name];
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('an import on one process stores the photo and its formats in the bucket; the server serves those URLs; a delete removes them', async () => {
  writeFileSync(join(dir, 'bucket.txt'), 'Bucket story\n\nA crane at dawn. Credit: AP\n\nA paragraph.\n');
  writeFileSync(join(dir, 'bucket-1.jpg'), await jpegWith([iptcSegment([[IIM.byline, 'Kim Lê']], 'utf8')], { width: 1200, height: 900 }));
  // The importer is another process: what it stores, this instance serves.
  const result = await runCli(['import', dir], { DATABASE_URL: app.databaseUrl, ...s3Env });
  expect(result.code).toBe(0);

  const article = (await json(await fetch(`${app.baseUrl}/api/articles?filters[slug][$eq]=bucket-story`))).data[0] as Json;
  const image = article.lead.image;
  expect(image.provider).toBe('aws-s3');
  expect(image.url.startsWith(`${endpoint}/${BUCKET}/`)).toBe(true);
  expect(article.lead.photographer).toBe('Kim Lê');
  const urls = [image.url, ...Object.values(image.formats).map((f) => (f as Json).url as string)];
  expect(urls).toHaveLength(5); // original, thumbnail, small, medium, large
  for (const url of urls) {
    expect(url.startsWith(`${endpoint}/${BUCKET}/`)).toBe(true);
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/jpeg');
    expect(existsSync(join(ROOT, 'public', 'uploads', url.split('/').pop() as string))).toBe(false);
  }

  // The reader page points at the bucket, and its CSP lets browsers load from it.
  const page = await fetch(`${app.baseUrl}/news/bucket-story`);
  expect(await page.text()).toContain(`src="${image.url}"`);
  expect(page.headers.get('content-security-policy')).toMatch(new RegExp(`img-src [^;]*${endpoint.replace(/[.:/]/g, '\\$&')}`));

  const upload = app.strapi.plugin('upload').service('upload');
  await upload.remove(await upload.findOne(image.id));
  for (const url of urls) expect((await fetch(url)).status).toBe(404);
  expect((await json(await fetch(`${app.baseUrl}/api/articles?filters[slug][$eq]=bucket-story`))).data[0].lead.image).toBeNull();
});
