import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import type { Core } from '@strapi/strapi';
import { buildPublicApiDocument } from '../../src/openapi/document';
import { clientTypes, CLIENT_TYPES_FILE } from '../../src/openapi/client-types';
import { json, type Json } from '../helpers/http';
import { Contract } from '../helpers/openapi';
import { IIM, iptcSegment, jpegWith, xmpSegment } from '../helpers/photos';
import { publishStory } from '../helpers/stories';
import { importStories } from '../../scripts/import';
import { readStories } from '../../src/importer/read-stories';
import { startApp, type TestApp } from '../helpers/strapi';

/**
 * The front-end contract (GET /api/openapi.json): a valid OpenAPI 3.1 document, generated from the
 * model (a field added to it is in the document, and the committed client types then fail here
 * until regenerated), cached like every answer, readable at /api/docs from the service's own
 * files, and the README's typed client compiles against it and reads a real article.
 * (Every answer of the public view is checked against it in public-view.test.ts.)
 */
const ROOT = join(__dirname, '..', '..');

/** The official OpenAPI 3.1 schema's verdict on a document (@seriousme/openapi-schema-validator's CLI: ESM, so a process). */
async function openApiVerdict(document: unknown): Promise<{ valid: boolean; errors?: unknown[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'openapi-check-'));
  try {
    const file = join(dir, 'openapi.json');
    await writeFile(file, JSON.stringify(document));
    const cli = join(ROOT, 'node_modules', '@seriousme', 'openapi-schema-validator', 'bin', 'validate-api-cli.js');
    // It exits 1 for an invalid document, printing the same verdict.
    const stdout = await promisify(execFile)(process.execPath, [cli, file]).then(
      (done) => done.stdout,
      (failed: { stdout?: string }) => failed.stdout ?? ''
    );
    return JSON.parse(stdout) as { valid: boolean; errors?: unknown[] };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The README's typed client example. */
async function readmeExample(): Promise<string> {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const example = /<!-- typed-client-example[^>]*-->\n```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  if (!example) throw new Error('README.md has no typed-client-example block');
  return example;
}

/** TypeScript's errors for a front-end file using the types (strict, as a front-end compiles). */
function typeErrors(source: string, dir: string): string[] {
  const file = join(dir, 'example.ts');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const read = host.readFile.bind(host);
  host.readFile = (name) => (name === file ? source : read(name));
  const exists = host.fileExists.bind(host);
  host.fileExists = (name) => name === file || exists(name);
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => `${d.file ? `${d.file.fileName}: ` : ''}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}

describe('the OpenAPI document of the public API', () => {
  let app: TestApp;
  let document: Json;

  beforeAll(async () => {
    app = await startApp();
    document = await json(await fetch(`${app.baseUrl}/api/openapi.json`));
  }, 180_000);

  afterAll(async () => {
    await app?.stop();
  });

  it('is a valid OpenAPI 3.1 document by the official schema (and the check can fail: a copy without info.version is not)', async () => {
    expect(document.openapi).toBe('3.1.0');
    const verdict = await openApiVerdict(document);
    expect(verdict.errors ?? []).toEqual([]);
    expect(verdict.valid).toBe(true);
    const broken = structuredClone(document);
    delete broken.info.version;
    expect((await openApiVerdict(broken)).valid).toBe(false);
  }, 60_000);

  it('covers the public API: articles with their filters, credits, authors, sections, tags, search, formats, redirects, GraphQL, errors, cache headers, limits', () => {
    const paths = Object.keys(document.paths);
    for (const path of ['/api/articles', '/api/articles/{id}', '/api/articles/{id}/jsonld', '/api/articles/{id}/ninjs', '/api/search', '/api/image-credits', '/api/image-credits/{id}', '/api/authors', '/api/authors/{id}', '/api/sections', '/api/sections/{id}', '/api/tags', '/api/tags/{id}', '/api/slug-redirects/{slug}', '/graphql', '/news/{slug}', '/rss.xml']) {
      expect(paths).toContain(path);
    }
    const list = document.paths['/api/articles'].get;
    const parameter = (name: string) => list.parameters.find((p: Json) => p.name === name);
    // Every filter the service takes: attributes, through relations and components.
    const filters = parameter('filters').schema.properties;
    expect(Object.keys(filters)).toEqual(expect.arrayContaining(['headline', 'slug', 'firstPublishDate', 'credits', 'authors', 'section', 'tags', 'lead', 'corrections']));
    expect(Object.keys(filters.credits.properties)).toEqual(expect.arrayContaining(['name', 'fullName']));
    expect(filters.importSource).toBeUndefined(); // private attributes are not filterable (400)
    expect(parameter('populate').schema.anyOf[2].items.enum).toEqual(['lead', 'body', 'credits', 'authors', 'section', 'tags', 'corrections']);
    expect(parameter('fields')).toBeUndefined();
    expect(Object.keys(list.responses)).toEqual(expect.arrayContaining(['200', '304', '400', '403', '404', '503']));
    expect(Object.keys(list.responses['200'].headers)).toEqual(expect.arrayContaining(['ETag', 'Surrogate-Key', 'Cache-Tag', 'Surrogate-Control', 'Cache-Control']));
    const page = list.responses['200'].content['application/json'].schema.properties.meta.properties.pagination.anyOf ?? list.responses['200'].content['application/json'].schema.properties.meta.properties.pagination.oneOf;
    expect(page[0].properties.pageSize.maximum).toBe(100);
    expect(document.components.schemas.Error.required).toEqual(['data', 'error']);
    expect(document.paths['/api/search'].get.parameters.map((p: Json) => p.name)).toEqual(expect.arrayContaining(['q', 'locale', 'section', 'tag', 'author', 'from', 'to', 'sort', 'page', 'pageSize']));
    expect(document.paths['/api/articles/{id}/jsonld'].get.responses['200'].content['application/ld+json'].schema.properties['@type']).toEqual({ const: 'NewsArticle' });
  });

  it('is made from the model: an attribute added to a content type is in the document, typed and required', () => {
    const article = app.strapi.contentTypes['api::article.article' as never] as unknown as { attributes: Record<string, unknown> };
    const withKicker = {
      ...app.strapi,
      contentTypes: { ...app.strapi.contentTypes, 'api::article.article': { ...article, attributes: { ...article.attributes, kicker: { type: 'string', maxLength: 60 } } } },
      components: app.strapi.components,
      config: app.strapi.config,
      apis: app.strapi.apis,
    } as unknown as Core.Strapi;
    const before = buildPublicApiDocument(app.strapi, { serverUrl: 'http://news.test', version: '1' });
    const after = buildPublicApiDocument(withKicker, { serverUrl: 'http://news.test', version: '1' });
    expect(before.components.schemas.Article.properties).not.toHaveProperty('kicker');
    expect((after.components.schemas.Article.properties as Json).kicker).toEqual({ type: ['string', 'null'] });
    expect(after.components.schemas.Article.required).toContain('kicker');
    const filters = (after.paths['/api/articles'].get.parameters as Json[]).find((p) => p.name === 'filters');
    expect(filters?.schema.properties).toHaveProperty('kicker');
  });

  it(`${CLIENT_TYPES_FILE} is what npm run client:types writes from this document (regenerate it after a model change)`, async () => {
    const committed = await readFile(join(ROOT, CLIENT_TYPES_FILE), 'utf8');
    expect(await clientTypes(document as never, ROOT)).toBe(committed);
  }, 60_000);

  it("the README's typed client compiles against the types (and a wrong field does not), then reads a real article", async () => {
    const example = await readmeExample();
    const dir = await mkdtemp(join(ROOT, 'tests', '.readme-example-'));
    try {
      const source = example.replace("'./types/public-api'", `'${join(ROOT, 'types', 'public-api')}'`);
      expect(typeErrors(source, dir)).toEqual([]);
      // The types are not `any`: a misspelt field, a path the API does not have, a locale it does not serve fail.
      expect(typeErrors(source.replace('[block.text]', '[block.txt]'), dir).join('\n')).toMatch(/txt/);
      expect(typeErrors(source.replace("news.GET('/api/articles'", "news.GET('/api/article'"), dir).join('\n')).toMatch(/\/api\/article/);
      expect(typeErrors(source.replace('filters: {', "locale: 'fr', filters: {"), dir).join('\n')).toMatch(/"fr"/);

      // And it works: run against the service, it reads the story by its slug.
      await publishStory(app.strapi, 'Typed client reads the harbor story\n\nThe harbor reopened on Monday.\n\nShips came back.\n', 'openapi_client.txt');
      const slug = (await json(await fetch(`${app.baseUrl}/api/articles?filters[headline][$eq]=${encodeURIComponent('Typed client reads the harbor story')}`))).data[0].slug as string;
      const compiled = ts.transpileModule(source.replace('http://localhost:1337', app.baseUrl), { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } }).outputText;
      const exports: Record<string, (...args: unknown[]) => Promise<unknown> | unknown> = {};
      new Function('require', 'exports', compiled)((name: string) => (name === 'openapi-fetch' ? require('openapi-fetch') : require(name)), exports);
      const article = (await exports.articleBySlug(slug)) as Json;
      expect(article.headline).toBe('Typed client reads the harbor story');
      expect(exports.paragraphs(article)).toEqual(['The harbor reopened on Monday.', 'Ships came back.']);
      expect(await exports.articleBySlug('no-such-story')).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('describes a story with real photos in every representation: the image files (UploadFile, renditions), JSON-LD, ninjs, search, lists in every locale', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'openapi-photos-'));
    try {
      await writeFile(join(dir, 'ferry.txt'), 'Ferry returns to the river\n\nThe ferry crosses at dawn. Credit: AP\n\nThe ferry resumed service on Monday.\n\nPassengers board in the rain. Credit: Reuters\n\nThe timetable returns to normal next week.\n');
      await writeFile(join(dir, 'ferry-1.jpg'), await jpegWith([xmpSegment({ creator: 'Zoë Ångström', rights: '© 2026 AP' })], { width: 1600, height: 1000 }));
      await writeFile(join(dir, 'ferry-2.jpg'), await jpegWith([iptcSegment([[IIM.byline, 'José Núñez']], 'latin1')], { width: 900, height: 600 }));
      const read = await readStories([join(dir, 'ferry.txt')]);
      if (!read.ok) throw new Error(read.errors.join('\n'));
      const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
      try {
        await importStories(app.strapi, read.stories, { locale: 'en', status: 'published', force: false }, undefined, read.photos);
      } finally {
        log.mockRestore();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const contract = new Contract(document);
    const found = await json(await fetch(`${app.baseUrl}/api/articles?filters[slug][$eq]=ferry-returns-to-the-river`));
    const id = found.data[0].documentId as string;
    expect(found.data[0].lead.image.formats).toBeTruthy(); // real files, with renditions
    const asked: string[] = [
      `/api/articles?filters[slug][$eq]=ferry-returns-to-the-river`,
      `/api/articles?filters[slug]=ferry-returns-to-the-river`,
      `/api/articles/${id}`,
      `/api/articles/${id}?populate=lead`,
      `/api/articles/${id}/jsonld`,
      `/api/articles/${id}/ninjs`,
      '/api/articles?locale=*&pagination[pageSize]=100',
      '/api/articles?pagination[start]=0&pagination[limit]=2',
      '/api/articles?pagination[withCount]=false',
      '/api/search?q=ferry',
      '/api/image-credits?populate=*',
      '/api/sections?populate=*',
      '/api/authors?sort=name:asc',
      '/api/tags',
    ];
    const problems: string[] = [];
    for (const url of asked) {
      const response = await fetch(`${app.baseUrl}${url}`);
      const body = await response.text();
      if (response.status !== 200) problems.push(`${url}: ${response.status} ${body.slice(0, 200)}`);
      const check = contract.check({ method: 'GET', url, status: response.status, contentType: response.headers.get('content-type') ?? '', body });
      if (check === null || check.length > 0) problems.push(`${url}: ${JSON.stringify(check)}`);
    }
    expect(problems).toEqual([]);
    // A bad token: 401, as documented.
    const refused = await fetch(`${app.baseUrl}/api/articles`, { headers: { authorization: 'Bearer not-a-token' } });
    const refusedBody = await refused.text();
    expect(refused.status).toBe(401);
    expect(contract.check({ method: 'GET', url: '/api/articles', status: 401, contentType: refused.headers.get('content-type') ?? '', body: refusedBody })).toEqual([]);
  }, 120_000);

  it('is cached like every public answer: ETag and 304, Surrogate-Key', async () => {
    const first = await fetch(`${app.baseUrl}/api/openapi.json`);
    await first.arrayBuffer();
    const etag = first.headers.get('etag') as string;
    expect(etag).toMatch(/^"/);
    expect(first.headers.get('surrogate-key')).toContain('permissions');
    expect(first.headers.get('content-type')).toMatch(/^application\/json/);
    const again = await fetch(`${app.baseUrl}/api/openapi.json`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
  });

  it('/api/docs renders it from the service\'s own copy of Swagger UI: every asset from here, none from another host', async () => {
    const page = await fetch(`${app.baseUrl}/api/docs`);
    expect(page.status).toBe(200);
    const html = await page.text();
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(assets.length).toBeGreaterThanOrEqual(4);
    expect(assets.filter((url) => !url.startsWith('/api/docs/'))).toEqual([]);
    expect(html).toContain('content="/api/openapi.json"');
    for (const url of assets) {
      const asset = await fetch(`${app.baseUrl}${url}`);
      expect([url, asset.status]).toEqual([url, 200]);
      const body = Buffer.from(await asset.arrayBuffer());
      if (url.includes('swagger-ui-bundle.js')) expect(body.equals(await readFile(join(ROOT, 'node_modules', 'swagger-ui-dist', 'swagger-ui-bundle.js')))).toBe(true);
      if (url.includes('init.js')) expect(body.toString()).toContain('validatorUrl: null'); // no call to swagger.io's validator
    }
    expect((await fetch(`${app.baseUrl}/api/docs/package.json`)).status).toBe(404);
    expect((await fetch(`${app.baseUrl}/api/docs/..%2Fpackage.json`)).status).toBe(404);
  });

  it('answers what its schemas say for errors too: 400 for a query it does not take, 404 for nothing, as the Error schema', async () => {
    const contract = new Contract(document);
    for (const [url, status] of [
      ['/api/articles?fields[0]=headline', 400],
      ['/api/articles?populate=localizations', 400],
      ['/api/articles?status=draft', 400],
      ['/api/articles/nosuchdocument', 404],
      ['/api/slug-redirects/no-such-slug', 404],
      ['/api/slug-redirects/no-such-slug?locale=xx', 400],
      ['/api/search', 400],
      ['/api/articles/nosuchdocument/ninjs', 404],
    ] as const) {
      const response = await fetch(`${app.baseUrl}${url}`);
      const body = await response.text();
      expect([url, response.status]).toEqual([url, status]);
      expect([url, contract.check({ method: 'GET', url, status, contentType: response.headers.get('content-type') ?? '', body })]).toEqual([url, []]);
    }
  });
});
