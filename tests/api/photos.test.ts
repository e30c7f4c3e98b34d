import { mkdtempSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { runCli } from '../helpers/cli';
import { sql } from '../helpers/database';
import { json, type Json } from '../helpers/http';
import { bombPng, IIM, iptcSegment, jpegWith, xmpSegment } from '../helpers/photos';
import { startApp, type TestApp } from '../helpers/strapi';

/**
 * Wire photos: files beside the story, read for their IPTC/XMP metadata, put into the media
 * library with responsive formats, and shown by every output; bad images refused with nothing
 * written.
 */
let app: TestApp;
let dir: string;
const cliEnv = () => ({ DATABASE_URL: app.databaseUrl });
const get = (path: string) => fetch(`${app.baseUrl}${path}`);
const article = async (slug: string) => (await json(await get(`/api/articles?filters[slug][$eq]=${slug}&locale=en`))).data[0] as Json;

const STORY = `Harbor fire contained after two days

A fireboat sprays water on the burning warehouse. Credit: AP

Firefighters contained the blaze on Sunday.

Smoke over the harbor at dusk. Credit: Reuters

The cause is under investigation.
`;

/** The lead photo: XMP (UTF-8) and IPTC that disagree; XMP wins, the story's caption wins over both. */
const LEAD_XMP = { description: 'Un bateau-pompe arrose l’entrepôt en feu', creator: 'Zoë Ångström', rights: '© 2026 The Associated Press', credit: 'AP Photo' };

beforeAll(async () => {
  app = await startApp();
  dir = mkdtempSync(join(tmpdir(), 'photos-'));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await app?.stop();
});

const fileRows = async () => Number((await sql<{ n: string }>(app.databaseUrl, 'SELECT count(*) AS n FROM files'))[0].n);
const articleRows = async () => Number((await sql<{ n: string }>(app.databaseUrl, 'SELECT count(*) AS n FROM articles'))[0].n);

describe('importing a story with its photo files', () => {
  let harbor: Json;

  beforeAll(async () => {
    writeFileSync(join(dir, 'harbor.txt'), STORY);
    writeFileSync(join(dir, 'harbor-1.jpg'), await jpegWith([xmpSegment(LEAD_XMP), iptcSegment([[IIM.caption, 'ignored: XMP says it'], [IIM.copyright, 'ignored too']], 'utf8')]));
    // The body photo: IPTC only, Latin-1 bytes with no character set declared (older tools).
    writeFileSync(
      join(dir, 'harbor-2.JPEG'),
      await jpegWith([iptcSegment([[IIM.caption, 'Smoke over the harbor at dusk'], [IIM.credit, 'Reuters'], [IIM.byline, 'José Müller'], [IIM.copyright, '© Reuters, façade']], 'latin1')], {
        width: 1200,
        height: 800,
        colour: '#553311',
      })
    );
    const result = await runCli(['import', dir], cliEnv());
    expect(result.code).toBe(0);
    // One warning line, naming the file whose own caption and credit differ from the story's.
    expect(result.stderr.split('\n').filter((line) => line.startsWith('warning:'))).toEqual([expect.stringContaining(join(dir, 'harbor-1.jpg'))]);
    harbor = await article('harbor-fire-contained-after-two-days');
  });

  it('REST: each figure has its image with formats; photographer and copyright from the file, caption and credit from the text', async () => {
    expect(harbor.lead).toMatchObject({
      caption: 'A fireboat sprays water on the burning warehouse.',
      credit: { name: 'AP' },
      photographer: 'Zoë Ångström',
      copyright: '© 2026 The Associated Press',
      image: { mime: 'image/jpeg', width: 1600, height: 1000, url: expect.stringMatching(/^\/uploads\/.+\.jpg$/) },
    });
    expect(Object.keys(harbor.lead.image.formats).sort()).toEqual(['large', 'medium', 'small', 'thumbnail']);
    for (const format of Object.values(harbor.lead.image.formats) as Json[]) {
      expect(format).toMatchObject({ url: expect.stringMatching(/^\/uploads\//), width: expect.any(Number), height: expect.any(Number), mime: 'image/jpeg' });
      expect((await get(format.url)).status).toBe(200);
    }
    const body = harbor.body.find((block: Json) => block.__component === 'media.figure');
    // Undeclared Latin-1 IPTC: the accents survive.
    expect(body).toMatchObject({ caption: 'Smoke over the harbor at dusk.', photographer: 'José Müller', copyright: '© Reuters, façade', image: { width: 1200, height: 800 } });
    const file = await get(harbor.lead.image.url);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('image/jpeg');
    expect((await sharp(Buffer.from(await file.arrayBuffer())).metadata()).width).toBe(1600);
  });

  it('GraphQL: the image with its formats, photographer and copyright', async () => {
    const response = await json(
      await fetch(`${app.baseUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: `{ articles(filters: { slug: { eq: "harbor-fire-contained-after-two-days" } }) { lead { photographer copyright image { url width height mime formats } } } }`,
        }),
      })
    );
    expect(response.errors).toBeUndefined();
    const lead = response.data.articles[0].lead;
    expect(lead).toMatchObject({ photographer: 'Zoë Ångström', copyright: '© 2026 The Associated Press', image: { url: harbor.lead.image.url, width: 1600, height: 1000, mime: 'image/jpeg' } });
    expect(lead.image.formats.small.width).toBe(500);
  });

  it('JSON-LD: ImageObject with contentUrl, size, caption, creditText, creator and copyrightNotice', async () => {
    const jsonld = await json(await get(`/api/articles/${harbor.documentId}/jsonld`));
    expect(jsonld.image[0]).toMatchObject({
      '@type': 'ImageObject',
      contentUrl: `http://news.test${harbor.lead.image.url}`,
      width: 1600,
      height: 1000,
      caption: 'A fireboat sprays water on the burning warehouse.',
      creditText: 'AP',
      creator: { '@type': 'Person', name: 'Zoë Ångström' },
      copyrightNotice: '© 2026 The Associated Press',
    });
  });

  it('ninjs: the picture association carries every rendition', async () => {
    const ninjs = await json(await get(`/api/articles/${harbor.documentId}/ninjs`));
    const lead = ninjs.associations.find((a: Json) => a.name === 'lead');
    expect(lead).toMatchObject({ type: 'picture', by: 'Zoë Ångström', copyrightNotice: '© 2026 The Associated Press' });
    expect(lead.renditions.map((r: Json) => r.name)).toEqual(['thumbnail', 'small', 'medium', 'large', 'original']);
    expect(lead.renditions[4]).toMatchObject({ href: `http://news.test${harbor.lead.image.url}`, width: 1600, height: 1000, contentType: 'image/jpeg' });
  });

  it('the reader page: srcset, sizes, width/height, lazy below the lead, alt from the caption', async () => {
    const html = await (await get('/news/harbor-fire-contained-after-two-days')).text();
    const images = [...html.matchAll(/<img [^>]+>/g)].map((m) => m[0]);
    expect(images).toHaveLength(2);
    const [lead, body] = images;
    // Strapi's formats (thumbnail 245 wide, small 500, medium 750, large 1000) and the original, smallest first.
    expect(lead).toMatch(/srcset="\S+ 245w, \S+ 500w, \S+ 750w, \S+ 1000w, \S+ 1600w"/);
    expect(lead).toMatch(/ sizes="[^"]+"/);
    expect(lead).toContain('width="1600" height="1000"');
    expect(lead).not.toContain('loading="lazy"');
    expect(lead).toContain('alt="A fireboat sprays water on the burning warehouse."');
    expect(body).toContain('loading="lazy"');
    expect(body).toContain('alt="Smoke over the harbor at dusk."');
  });

  it('the feeds carry Media RSS for the photos', async () => {
    const rss = await (await get('/rss.xml')).text();
    expect(rss).toMatch(new RegExp(`<media:content [^>]*url="http://news.test${harbor.lead.image.url}"`));
    expect(rss).toMatch(/<media:credit[^>]*>AP<\/media:credit>/);
  });

  it('a re-import of the same files writes nothing; a replaced image file replaces the image', async () => {
    const files = await fileRows();
    const again = await runCli(['import', dir], cliEnv());
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('unchanged 1');
    expect(await fileRows()).toBe(files);

    writeFileSync(join(dir, 'harbor-2.JPEG'), await jpegWith([iptcSegment([[IIM.byline, 'Ana Núñez']], 'utf8')], { width: 900, height: 600, colour: '#113355' }));
    const replaced = await runCli(['import', dir], cliEnv());
    expect(replaced.code).toBe(0);
    expect(replaced.stdout).toContain('updated 1');
    const now = await article('harbor-fire-contained-after-two-days');
    const body = now.body.find((block: Json) => block.__component === 'media.figure');
    expect(body).toMatchObject({ photographer: 'Ana Núñez', image: { width: 900, height: 600 } });
    expect(now.lead.image.id).toBe(harbor.lead.image.id); // the unchanged lead keeps its file
    // The replaced file left the media library (nothing shows it any more): one file in, one out.
    expect(await fileRows()).toBe(files);
    expect((await get(harbor.body.find((block: Json) => block.__component === 'media.figure').image.url)).status).toBe(404);
  });

  it('replacing or deleting a file in the media library purges every article that shows it', async () => {
    // A story of its own, with its photo file, imported as an editor imports one.
    const folder = join(dir, 'purge');
    mkdirSync(folder);
    writeFileSync(join(folder, 'purge_story.txt'), 'Lighthouse keeper retires\n\nThe keeper at the lamp. Credit: AP\n\nHe kept the light for forty years.\n');
    writeFileSync(join(folder, 'purge_story-1.jpg'), await jpegWith([], { width: 640, height: 480 }));
    expect((await runCli(['import', folder], cliEnv())).code).toBe(0);
    const slug = 'lighthouse-keeper-retires';
    const before = await article(slug);
    expect(before.lead.image).toMatchObject({ width: 640, height: 480 });
    const oldUrl = before.lead.image.url as string;
    const paths = [`/api/articles?filters[slug][$eq]=${slug}&locale=en`, `/api/articles/${before.documentId}/jsonld`, `/news/${slug}`];
    // The photo's width, as each representation shows it (JSON, JSON-LD, the reader page's <img>).
    const width = (w: number) => new RegExp(`"width":${w}\\b|width="${w}"`);
    /** Every representation answered from the cache (a purge that did not happen would show). */
    const cachedShowing = async (shown: RegExp) => {
      for (const path of paths) {
        await get(path);
        const again = await get(path);
        expect([path, again.status, again.headers.get('x-cache')]).toEqual([path, 200, 'hit']);
        expect([path, await again.text()]).toEqual([path, expect.stringMatching(shown)]);
      }
    };
    /** Every representation, read now: 200, the story, showing `shown` and not `gone`. */
    const showing = async (shown: RegExp | null, gone: RegExp) => {
      for (const path of paths) {
        const response = await get(path);
        const body = await response.text();
        expect([path, response.status]).toEqual([path, 200]);
        expect(body).toContain('Lighthouse keeper retires');
        expect([path, gone.test(body)]).toEqual([path, false]);
        if (shown) expect([path, body]).toEqual([path, expect.stringMatching(shown)]);
      }
    };
    await cachedShowing(width(640));

    const upload = app.strapi.plugin('upload').service('upload');
    const replacement = join(dir, 'replacement.jpg');
    writeFileSync(replacement, await jpegWith([], { width: 800, height: 500 }));
    await upload.replace(before.lead.image.id, { data: { fileInfo: {} }, file: { filepath: replacement, originalFilename: 'replacement.jpg', mimetype: 'image/jpeg', size: statSync(replacement).size } });
    expect((await article(slug)).lead.image).toMatchObject({ width: 800, height: 500 });
    await showing(width(800), width(640));

    await cachedShowing(width(800));
    await upload.remove(await upload.findOne(before.lead.image.id));
    expect((await article(slug)).lead.image).toBeNull();
    await showing(null, new RegExp(`${width(800).source}|${oldUrl.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  });
});

describe('a photo block without a caption', () => {
  it("takes the file's caption (and alt text), with no warning", async () => {
    const folder = join(dir, 'nocaption');
    mkdirSync(folder);
    writeFileSync(join(folder, 'quiet.txt'), 'A quiet harbor\n\nCredit: AP\n\nBoats rest at anchor.\n');
    writeFileSync(join(folder, 'quiet-1.jpg'), await jpegWith([xmpSegment({ description: 'Boats at anchor in the morning fog' })], { width: 600, height: 400 }));
    const result = await runCli(['import', folder], cliEnv());
    expect(result.code).toBe(0);
    expect(result.stderr).not.toMatch(/^warning:/m);
    const quiet = await article('a-quiet-harbor');
    expect(quiet.lead).toMatchObject({ caption: 'Boats at anchor in the morning fog', credit: { name: 'AP' }, image: { alternativeText: 'Boats at anchor in the morning fog' } });
    expect(await (await get('/news/a-quiet-harbor')).text()).toContain('alt="Boats at anchor in the morning fog"');
  });
});

describe('bad images: exit 1, one line per problem naming the file, nothing written', () => {
  it('refuses not-an-image, truncated, too large, a decompression bomb and a name that matches no block', async () => {
    const bad = join(dir, 'bad');
    mkdirSync(bad);
    const text = (headline: string) => `${headline}\n\nA photo. Credit: AP\n\nA paragraph.\n`;
    const good = await jpegWith([], { width: 400, height: 300 });
    const cases: Record<string, [string, Buffer]> = {
      notimage: ['notimage-1.jpg', Buffer.from('this is a text file, not a photo\n')],
      truncated: ['truncated-1.jpg', good.subarray(0, Math.floor(good.length / 2))],
      large: ['large-1.jpg', await jpegWith([], { width: 3000, height: 2000 })],
      bomb: ['bomb-1.png', bombPng(60_000, 60_000)],
      orphan: ['orphan-2.jpg', good],
      stray: ['nobody-1.jpg', good],
    };
    for (const [base, [name, bytes]] of Object.entries(cases)) {
      if (base !== 'stray') writeFileSync(join(bad, `${base}.txt`), text(`Story ${base}`));
      writeFileSync(join(bad, name), bytes);
    }
    writeFileSync(join(bad, 'fine.txt'), text('A fine story'));
    writeFileSync(join(bad, 'fine-1.jpg'), good);
    const large = cases.large[1].length;
    const [files, articles] = [await fileRows(), await articleRows()];

    const result = await runCli(['import', bad], { ...cliEnv(), UPLOAD_MAX_BYTES: String(large - 1) });
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    const problems = lines.filter((line) => line.startsWith(bad));
    expect(problems).toHaveLength(6);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/notimage-1\.jpg: not an image/),
        expect.stringMatching(/truncated-1\.jpg: a damaged or truncated image/),
        expect.stringMatching(/large-1\.jpg: \d+ bytes, over the \d+-byte limit \(UPLOAD_MAX_BYTES\)/),
        expect.stringMatching(/bomb-1\.png: 60000×60000 pixels, over the 100000000-pixel limit/),
        expect.stringMatching(/orphan-2\.jpg: matches no photo block of orphan\.txt/),
        expect.stringMatching(/nobody-1\.jpg: matches no story's photo block/),
      ])
    );
    expect(lines[lines.length - 1]).toMatch(/^nothing written/);
    expect([await fileRows(), await articleRows()]).toEqual([files, articles]);
    expect(await article('a-fine-story')).toBeUndefined();
  });
});
