import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { XMLParser } from 'fast-xml-parser';
import { importStories } from '../../scripts/import';
import { parseStory } from '../../src/story';
import { asEditViewSends, json, type Json } from '../helpers/http';
import { sql } from '../helpers/database';
import { atomProblems, rssProblems, sitemapProblems } from '../helpers/feed-validation';
import { startApp, TEST_ADMIN, type TestApp } from '../helpers/strapi';

/**
 * A newsroom's article: bylines and datelines from the wire, authors, sections and tags in every
 * output; RSS, Atom and sitemaps; corrections; old slugs that redirect.
 */
const ROOT = join(__dirname, '..', '..');
const ARTICLE = 'api::article.article';
const CM = '/content-manager/collection-types/api::article.article';
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==', 'base64');
const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@' });

let app: TestApp;
let token: string;
const KANG = `Putin arrives in Harbin

By DAKE KANG and EMILY WANG FUJIYAMA

Russian President Vladimir Putin at the trade fair. Credit: AP

HARBIN, China (AP) — Russian President Vladimir Putin arrived in the northeastern city on Friday.

He was met by officials.
`;
const SECOND = `Trade fair closes

By Dake Kang

HARBIN, China — The fair closed on Sunday.
`;
const PLAIN = `Council approves budget

The council met on Tuesday and approved the budget.
`;

async function importText(text: string, file: string, options: { section?: string; locale?: string } = {}): Promise<void> {
  const parsed = parseStory(text, file);
  if (!parsed.ok) throw new Error(parsed.error.message);
  const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    expect(await importStories(app.strapi, [parsed.story], { locale: options.locale ?? 'en', status: 'published', force: true, section: options.section })).toBe(0);
  } finally {
    log.mockRestore();
  }
}

const get = (path: string) => fetch(`${app.baseUrl}${path}`, { redirect: 'manual' });
const article = async (slug: string, locale = 'en') => (await json(await get(`/api/articles?filters[slug][$eq]=${slug}&locale=${locale}`))).data[0] as Json;
const admin = async (method: string, path: string, body?: unknown) => {
  const response = await fetch(`${app.baseUrl}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: response.status, body: (await response.json().catch(() => null)) as Json };
};

beforeAll(async () => {
  app = await startApp({ env: { PUBLICATION_NAME: 'The Test Gazette' } });
  token = (await json(await fetch(`${app.baseUrl}/admin/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(TEST_ADMIN) }))).data.token;
  await importText(KANG, 'kang_harbin.txt', { section: 'world' });
  await importText(SECOND, 'kang_fair.txt', { section: 'business' });
  await importText(PLAIN, 'plain_budget.txt');
  // Tags an editor adds: one with an IPTC Media Topic.
  const tags = app.strapi.documents('api::tag.tag');
  const diplomacy = await tags.create({ data: { name: 'Diplomacy', slug: 'diplomacy', mediaTopic: 'http://cv.iptc.org/newscodes/mediatopic/20000638' } } as never);
  const trade = await tags.create({ data: { name: 'Trade', slug: 'trade' } } as never);
  const harbin = await article('putin-arrives-in-harbin');
  await app.strapi.documents(ARTICLE).update({ documentId: harbin.documentId, locale: 'en', data: { tags: [diplomacy.documentId, trade.documentId] } } as never);
  await app.strapi.documents(ARTICLE).publish({ documentId: harbin.documentId, locale: 'en' } as never);
});
afterAll(async () => {
  await app?.stop();
});

describe('bylines and datelines from the wire', () => {
  it('authors in byline order, in name case, one record per person; the dateline out of the first paragraph', async () => {
    const harbin = await article('putin-arrives-in-harbin');
    expect(harbin.authors.map((a: Json) => [a.name, a.slug])).toEqual([
      ['Dake Kang', 'dake-kang'],
      ['Emily Wang Fujiyama', 'emily-wang-fujiyama'],
    ]);
    expect(harbin.dateline).toBe('HARBIN, China');
    expect(harbin.body[0]).toMatchObject({ __component: 'content.paragraph', text: 'Russian President Vladimir Putin arrived in the northeastern city on Friday.' });
    const fair = await article('trade-fair-closes');
    expect(fair.authors.map((a: Json) => a.documentId)).toEqual([harbin.authors[0].documentId]); // matched by slug
    expect((await json(await get('/api/authors'))).data).toHaveLength(2);
    const plain = await article('council-approves-budget');
    expect([plain.authors, plain.dateline, plain.section]).toEqual([[], null, null]);
  });

  it('sections from --section (created if missing), filters by section, tag and author slug, newest first', async () => {
    expect((await article('putin-arrives-in-harbin')).section).toMatchObject({ name: 'World', slug: 'world' });
    const slugs = async (query: string) => (await json(await get(`/api/articles?${query}`))).data.map((a: Json) => a.slug);
    expect(await slugs('filters[section][slug][$eq]=world')).toEqual(['putin-arrives-in-harbin']);
    expect(await slugs('filters[tags][slug][$eq]=trade')).toEqual(['putin-arrives-in-harbin']);
    expect(await slugs('filters[authors][slug][$eq]=dake-kang')).toEqual(['trade-fair-closes', 'putin-arrives-in-harbin']);
    expect(await slugs('filters[authors][slug][$eq]=nobody')).toEqual([]);
  });

  it('GraphQL carries them too', async () => {
    const body = await json(
      await fetch(`${app.baseUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ articles(filters: { slug: { eq: "putin-arrives-in-harbin" } }) { dateline byline authors { name } section { name } tags { name mediaTopic } } }' }),
      })
    );
    expect(body.errors).toBeUndefined();
    expect(body.data.articles[0]).toEqual({ dateline: 'HARBIN, China', byline: null, authors: [{ name: 'Dake Kang' }, { name: 'Emily Wang Fujiyama' }], section: { name: 'World' }, tags: [{ name: 'Diplomacy', mediaTopic: 'http://cv.iptc.org/newscodes/mediatopic/20000638' }, { name: 'Trade', mediaTopic: null }] });
  });

  it('JSON-LD: author as a Person list, dateline, articleSection, keywords; ninjs: by, located, subjects (valid 3.1)', async () => {
    const harbin = await article('putin-arrives-in-harbin');
    const ld = await json(await get(`/api/articles/${harbin.documentId}/jsonld`));
    expect(ld).toMatchObject({
      author: [
        { '@type': 'Person', name: 'Dake Kang' },
        { '@type': 'Person', name: 'Emily Wang Fujiyama' },
      ],
      dateline: 'HARBIN, China',
      articleSection: 'World',
      keywords: 'Diplomacy, Trade',
    });
    const ninjs = await json(await get(`/api/articles/${harbin.documentId}/ninjs`));
    expect(ninjs).toMatchObject({ by: 'By Dake Kang and Emily Wang Fujiyama', located: 'HARBIN, China' });
    expect(ninjs.subjects).toEqual([
      { name: 'World', rel: 'section', literal: 'world' },
      { name: 'Diplomacy', rel: 'tag', literal: 'diplomacy', uri: 'http://cv.iptc.org/newscodes/mediatopic/20000638' },
      { name: 'Trade', rel: 'tag', literal: 'trade' },
    ]);
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addMetaSchema(require('ajv/dist/refs/json-schema-draft-07.json'));
    ajv.addSchema(JSON.parse(readFileSync(join(ROOT, 'tests', 'fixtures', 'ninjs', 'GeoJSON.json'), 'utf8')));
    const validate = ajv.compile(JSON.parse(readFileSync(join(ROOT, 'tests', 'fixtures', 'ninjs', 'ninjs-schema_3.1.json'), 'utf8')));
    expect([validate(ninjs), validate.errors]).toEqual([true, null]);
  });

  it('the reader page: the byline, and the dateline opening the first paragraph', async () => {
    const html = await (await get('/news/putin-arrives-in-harbin')).text();
    expect(html).toContain('<p class="byline">By Dake Kang and Emily Wang Fujiyama</p>');
    expect(html).toContain('<p><span class="dateline">HARBIN, China</span> — Russian President Vladimir Putin arrived');
    // An editor's byline text wins over the names.
    const harbin = await article('putin-arrives-in-harbin');
    await app.strapi.documents(ARTICLE).update({ documentId: harbin.documentId, locale: 'en', data: { byline: 'By Dake Kang and Emily Wang Fujiyama, Associated Press' } } as never);
    await app.strapi.documents(ARTICLE).publish({ documentId: harbin.documentId, locale: 'en' } as never);
    expect(await (await get('/news/putin-arrives-in-harbin')).text()).toContain('<p class="byline">By Dake Kang and Emily Wang Fujiyama, Associated Press</p>');
  });
});

describe('feeds', () => {
  it('RSS 2.0: the newest published articles with absolute links, stable guids, first-published dates, dc:creator, categories and Media RSS', async () => {
    // A photo with an image file, for Media RSS.
    const form = new FormData();
    form.append('files', new Blob([PNG], { type: 'image/png' }), 'crane.png');
    const uploaded = (await (await fetch(`${app.baseUrl}/upload`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form })).json()) as Array<{ id: number }>;
    const harbin = await article('putin-arrives-in-harbin');
    const view = await admin('GET', `${CM}/${harbin.documentId}?locale=en`);
    expect((await admin('POST', `${CM}/${harbin.documentId}/actions/publish?locale=en`, { version: view.body.data.version, lead: { ...view.body.data.lead, image: uploaded[0].id } })).status).toBe(200);

    const response = await get('/rss.xml');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/application\/rss\+xml/);
    expect(response.headers.get('surrogate-key')).toMatch(/list:article/);
    const rssText = await response.text();
    const feed = xml.parse(rssText);
    const channel = feed.rss.channel;
    expect(channel.title).toBe('The Test Gazette');
    expect(channel.link).toBe('http://news.test/');
    const items = channel.item as Json[];
    expect(items.map((i) => i.title)).toEqual(['Council approves budget', 'Trade fair closes', 'Putin arrives in Harbin']);
    const item = items[2];
    expect(item.link).toBe('http://news.test/news/putin-arrives-in-harbin');
    expect(item.guid['#text']).toBe(`tag:news.test,2026:article/${harbin.documentId}/en`);
    expect(new Date(item.pubDate).toISOString()).toBe(new Date(harbin.firstPublishDate).toISOString().replace(/\.\d{3}Z$/, '.000Z'));
    expect(item.description).toBe('Russian President Vladimir Putin arrived in the northeastern city on Friday.');
    // Names, one dc:creator each (the authors' records, not the byline's "By"); no RSS <author>
    // (that is an e-mail address); the whole feed as the W3C validator reads it.
    expect(item['dc:creator'].map((c: Json) => c['#text'])).toEqual(['Dake Kang', 'Emily Wang Fujiyama']);
    expect(item['dc:creator'][0]['@xmlns:dc']).toBe('http://purl.org/dc/elements/1.1/');
    expect(item.author).toBeUndefined();
    expect(rssProblems(rssText)).toEqual([]);
    expect([item.category].flat().map((c: Json) => c['#text'] ?? c)).toEqual(['World', 'Diplomacy', 'Trade']);
    const media = item['media:content'];
    expect(media['@xmlns:media']).toBe('http://search.yahoo.com/mrss/');
    expect(media['@url']).toMatch(/^http:\/\/news\.test\/uploads\/.+\.png$/);
    expect(media['media:description']['#text']).toBe('Russian President Vladimir Putin at the trade fair.');
    expect(media['media:credit']).toBe('AP');
    expect(items[0]['media:content']).toBeUndefined(); // no photo file, no media
  });

  it('Atom 1.0, a section feed, another locale; an unknown section is 404', async () => {
    const atomText = await (await get('/atom.xml')).text();
    expect(await atomProblems(atomText)).toEqual([]);
    const atom = xml.parse(atomText);
    expect(atom.feed.title).toBe('The Test Gazette');
    const entries = atom.feed.entry as Json[];
    expect(entries).toHaveLength(3);
    expect(entries[2].author.map((a: Json) => a.name)).toEqual(['Dake Kang', 'Emily Wang Fujiyama']);
    const sectionText = await (await get('/sections/business/rss.xml')).text();
    expect(rssProblems(sectionText)).toEqual([]);
    const section = xml.parse(sectionText);
    expect(section.rss.channel.title).toBe('The Test Gazette: Business');
    expect([section.rss.channel.item].flat().map((i: Json) => i.title)).toEqual(['Trade fair closes']);
    expect((await get('/sections/nowhere/rss.xml')).status).toBe(404);
    const ru = xml.parse(await (await get('/rss.xml?locale=ru')).text());
    expect(ru.rss.channel.item).toBeUndefined();
    expect((await get('/rss.xml?bogus=1')).status).toBe(400);
  });
});

describe('sitemaps', () => {
  it('sitemap.xml: every published article with its lastmod', async () => {
    const text = await (await get('/sitemap.xml')).text();
    expect(await sitemapProblems(text, 'urlset')).toEqual([]);
    const map = xml.parse(text);
    const urls = [map.urlset.url].flat().map((u: Json) => u.loc).sort();
    expect(urls).toEqual(['http://news.test/news/council-approves-budget', 'http://news.test/news/putin-arrives-in-harbin', 'http://news.test/news/trade-fair-closes']);
    for (const u of [map.urlset.url].flat()) expect(new Date(u.lastmod).getTime()).toBeGreaterThan(0);
  });

  it('news-sitemap.xml: what was first published in the last 48 hours, in the Google News format', async () => {
    const fair = await article('trade-fair-closes');
    const budget = await article('council-approves-budget');
    await sql(app.databaseUrl, `UPDATE articles SET first_publish_date = now() - interval '47 hours' WHERE document_id = $1`, [fair.documentId]);
    await sql(app.databaseUrl, `UPDATE articles SET first_publish_date = now() - interval '49 hours' WHERE document_id = $1`, [budget.documentId]);
    // First asked now: nothing cached from before the dates moved (a direct SQL change is no write the service sees).
    const text = await (await get('/news-sitemap.xml')).text();
    expect(await sitemapProblems(text, 'news')).toEqual([]);
    const map = xml.parse(text);
    const urls = [map.urlset.url].flat();
    const locs = urls.map((u: Json) => u.loc);
    expect(locs).toContain('http://news.test/news/trade-fair-closes');
    expect(locs).not.toContain('http://news.test/news/council-approves-budget');
    const fairEntry = urls.find((u: Json) => u.loc.endsWith('trade-fair-closes'));
    expect(fairEntry['news:news']['news:publication']).toEqual({ 'news:name': 'The Test Gazette', 'news:language': 'en' });
    expect(fairEntry['news:news']['news:title']).toBe('Trade fair closes');
    expect(new Date(fairEntry['news:news']['news:publication_date']).getTime()).toBeLessThan(Date.now() - 46 * 3600 * 1000);
    expect(map.urlset['@xmlns:news']).toBe('http://www.google.com/schemas/sitemap-news/0.9');
  });
});

const editView = async (documentId: string) =>
  asEditViewSends((await admin('GET', `${CM}/${documentId}?locale=en`)).body.data as Json, ['credits', 'authors', 'section', 'tags']);

describe('corrections', () => {
  it('added by an editor, dated when the article is next published; shown at the top, in JSON-LD, on the corrections page and feed; never lost', async () => {
    const harbin = await article('putin-arrives-in-harbin');
    const view = await admin('GET', `${CM}/${harbin.documentId}?locale=en`);
    const saved = await admin('PUT', `${CM}/${harbin.documentId}?locale=en`, {
      version: view.body.data.version,
      corrections: [{ kind: 'correction', text: 'An earlier version misstated the day of the visit.' }],
    });
    expect(saved.status).toBe(200);
    expect((await get('/news/corrections')).status).toBe(200);
    expect(await (await get('/news/corrections')).text()).not.toContain('misstated'); // a draft: not out yet
    expect((await admin('POST', `${CM}/${harbin.documentId}/actions/publish?locale=en`, await editView(harbin.documentId))).status).toBe(200);

    const published = await article('putin-arrives-in-harbin');
    expect(published.corrections).toHaveLength(1);
    const date = published.corrections[0].date as string;
    expect(Date.now() - new Date(date).getTime()).toBeLessThan(60_000);
    const html = await (await get('/news/putin-arrives-in-harbin')).text();
    expect(html.indexOf('class="corrections"')).toBeLessThan(html.indexOf('<h1>'));
    expect(html).toContain('An earlier version misstated the day of the visit.');
    const ld = await json(await get(`/api/articles/${harbin.documentId}/jsonld`));
    expect(ld.correction).toEqual([{ '@type': 'CorrectionComment', text: 'An earlier version misstated the day of the visit.', datePublished: new Date(date).toISOString() }]);
    expect(await (await get('/news/corrections')).text()).toContain('An earlier version misstated the day of the visit.');
    const correctionsText = await (await get('/corrections.rss')).text();
    expect(rssProblems(correctionsText)).toEqual([]);
    const feed = xml.parse(correctionsText);
    expect([feed.rss.channel.item].flat().map((i: Json) => i.title)).toEqual(['Correction: Putin arrives in Harbin']);

    // A re-import (forced) keeps it; the revision holds it.
    await importText(KANG, 'kang_harbin.txt', { section: 'world' });
    expect((await article('putin-arrives-in-harbin')).corrections.map((c: Json) => c.text)).toEqual(['An earlier version misstated the day of the visit.']);
    const revisions = await json(await fetch(`${app.baseUrl}/news-admin/articles/${harbin.documentId}/revisions`, { headers: { authorization: `Bearer ${token}` } }));
    const newest = await json(await fetch(`${app.baseUrl}/news-admin/articles/${harbin.documentId}/revisions/${revisions.data[0].id}`, { headers: { authorization: `Bearer ${token}` } }));
    expect(newest.data.text).toContain('Correction');
  });
});

describe('links that survive a headline rewrite', () => {
  it('a slug changed twice: both old slugs 301 to the newest; the API says where; no loops; a slug in use is its article’s', async () => {
    const budget = await article('council-approves-budget');
    const rename = async (slug: string) => {
      expect((await admin('POST', `${CM}/${budget.documentId}/actions/publish?locale=en`, { ...(await editView(budget.documentId)), slug })).status).toBe(200);
    };
    await rename('council-passes-budget');
    await rename('budget-passed-after-long-night');
    for (const old of ['council-approves-budget', 'council-passes-budget']) {
      const response = await get(`/news/${old}`);
      expect([old, response.status, response.headers.get('location')]).toEqual([old, 301, '/news/budget-passed-after-long-night']);
      expect(await json(await get(`/api/slug-redirects/${old}?locale=en`))).toEqual({ data: { slug: 'budget-passed-after-long-night', documentId: budget.documentId } });
    }
    expect((await get('/news/budget-passed-after-long-night')).status).toBe(200);
    expect((await get('/api/slug-redirects/budget-passed-after-long-night')).status).toBe(404); // current: nothing to redirect
    expect((await get('/api/slug-redirects/never-existed')).status).toBe(404);
    // Back to the first slug: it is served again, and the newest one now redirects to it (no loop).
    await rename('council-approves-budget');
    expect((await get('/news/council-approves-budget')).status).toBe(200);
    expect((await get('/news/budget-passed-after-long-night')).headers.get('location')).toBe('/news/council-approves-budget');
    // Another article takes an old slug: it is that article's page now.
    await importText('Council passes budget\n\nA different story that took the old slug.\n', 'other_budget.txt');
    const response = await get('/news/council-passes-budget');
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('A different story that took the old slug.');
  });
});

describe('feeds and sitemaps are public answers', () => {
  it('cached, then purged by a publish, an edit and an unpublish; a draft is never in them', async () => {
    const paths = ['/rss.xml', '/atom.xml', '/sections/world/rss.xml', '/sitemap.xml', '/news-sitemap.xml'];
    for (const path of paths) {
      await get(path);
      expect([path, (await get(path)).headers.get('x-cache')]).toEqual([path, 'hit']);
    }
    const text = async (path: string) => (await get(path)).text();
    // A draft changes nothing.
    const drafted = await app.strapi.documents(ARTICLE).create({ locale: 'en', data: { headline: 'Zqx draft in the world', slug: 'zqx-draft-in-the-world', body: [{ __component: 'content.paragraph', text: 'Not yet.' }] } } as never);
    for (const path of paths) expect([path, (await text(path)).includes('zqx-draft')]).toEqual([path, false]);
    // Published into the world section: in every feed and sitemap at once.
    const world = (await json(await get('/api/sections?filters[slug][$eq]=world'))).data[0];
    await app.strapi.documents(ARTICLE).update({ documentId: drafted.documentId, locale: 'en', data: { section: world.documentId } } as never);
    await app.strapi.documents(ARTICLE).publish({ documentId: drafted.documentId, locale: 'en' } as never);
    for (const path of paths) expect([path, (await text(path)).includes('zqx-draft-in-the-world')]).toEqual([path, true]);
    // An edit to a published headline reaches the feeds.
    await app.strapi.documents(ARTICLE).update({ documentId: drafted.documentId, locale: 'en', data: { headline: 'Zqx now in the world' } } as never);
    await app.strapi.documents(ARTICLE).publish({ documentId: drafted.documentId, locale: 'en' } as never);
    expect(await text('/rss.xml')).toContain('Zqx now in the world');
    expect(await text('/sections/world/rss.xml')).toContain('Zqx now in the world');
    // Unpublished: gone from all of them.
    await app.strapi.documents(ARTICLE).unpublish({ documentId: drafted.documentId, locale: 'en' } as never);
    for (const path of paths) expect([path, (await text(path)).includes('zqx-')]).toEqual([path, false]);
    await app.strapi.documents(ARTICLE).delete({ documentId: drafted.documentId, locale: 'en' } as never);
  });
});
