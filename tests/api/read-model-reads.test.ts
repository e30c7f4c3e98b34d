import { join } from 'node:path';
import { GRAPHQL_QUERY } from '../../scripts/bench/rows';
import { importStories } from '../../scripts/import';
import { parseStory } from '../../src/story';
import { json, type Json } from '../helpers/http';
import { BUNDLED_SLUG, publishBundledStory } from '../helpers/stories';
import { startApp, type TestApp } from '../helpers/strapi';

/**
 * Reads of whole articles come from the read model. Lists of whole articles come from the read model: the core controller picks the articles (its
 * filters, sort, pagination, total) reading their ids only, and each article's JSON is its
 * read-model row. The answer must be the core controller's, byte for byte, for every list a
 * front-end asks for. `populate=*` sends the same list through the core controller and its
 * Document Service populate: the reference.
 */
const ARTICLE = 'api::article.article';
let app: TestApp;
// The app runs from dist/: its own copy of the switch.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const serving = require(join(__dirname, '..', '..', 'dist', 'src', 'read-model', 'serving.js')) as { serveFromReadModel(on: boolean): void };

const text = async (path: string) => {
  const response = await fetch(`${app.baseUrl}${path}`);
  return { status: response.status, body: await response.text(), keys: (response.headers.get('surrogate-key') ?? '').split(' ').filter(Boolean) };
};

function story(n: number, credit: string, byline: string): string {
  return `Story number ${n} about the harbour\n\nBy ${byline}\n\nA photo of the harbour, ${n}. Credit: ${credit}\n\nCITY (AP) — Paragraph one of story ${n}.\n\nParagraph two of story ${n}.\n`;
}

async function importText(body: string, file: string, options: { section?: string; locale?: string; status?: 'published' | 'draft' } = {}): Promise<void> {
  const parsed = parseStory(body, file);
  if (!parsed.ok) throw new Error(parsed.error.message);
  const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    const code = await importStories(app.strapi, [parsed.story], {
      locale: options.locale ?? 'en',
      status: options.status ?? 'published',
      force: true,
      section: options.section,
    });
    expect(code).toBe(0);
  } finally {
    log.mockRestore();
  }
}

const LISTS = [
  '/api/articles',
  '/api/articles?pagination[pageSize]=20',
  '/api/articles?pagination[pageSize]=1000',
  '/api/articles?pagination[page]=2&pagination[pageSize]=4&locale=en',
  '/api/articles?pagination[withCount]=true&pagination[pageSize]=2',
  '/api/articles?filters[credits][name][$eq]=AP&pagination[page]=2&pagination[pageSize]=3',
  '/api/articles?filters[authors][slug][$eq]=emily-wang-fujiyama&locale=fr',
  '/api/articles?pagination[pageSize]=3&pagination[page]=2',
  '/api/articles?pagination[pageSize]=3&pagination[page]=99',
  '/api/articles?pagination[start]=2&pagination[limit]=4',
  '/api/articles?pagination[pageSize]=5&pagination[withCount]=false',
  '/api/articles?filters[credits][name][$eq]=AP',
  '/api/articles?filters[credits][name][$eq]=Reuters&pagination[pageSize]=2',
  '/api/articles?filters[credits][name][$eq]=Nobody',
  '/api/articles?filters[section][slug][$eq]=world',
  '/api/articles?filters[section][slug][$eq]=business&locale=en',
  '/api/articles?filters[authors][slug][$eq]=dake-kang',
  '/api/articles?filters[tags][slug][$eq]=harbour',
  '/api/articles?sort=headline:asc&pagination[pageSize]=4',
  '/api/articles?sort[0]=firstPublishDate:asc',
  '/api/articles?locale=fr',
  '/api/articles?locale=de',
  '/api/articles?locale=zz',
  '/api/articles?locale=*',
  '/api/articles?locale=all',
  '/api/articles?filters[credits][name][$eq]=AP&filters[section][slug][$eq]=world',
  '/api/articles?filters[credits][name][$ne]=AP',
  '/api/articles?filters[credits][fullName][$eq]=AP',
  '/api/articles?pagination[pageSize]=2&pagination[page]=1000000',
  '/api/articles?filters[$or][0][section][slug][$eq]=world&filters[$or][1][credits][name][$eq]=Reuters',
  // One article by slug, and the short form a typed client (openapi-fetch) sends.
  '/api/articles?filters[slug][$eq]=story-number-4-about-the-harbour',
  '/api/articles?filters[slug]=story-number-4-about-the-harbour',
  '/api/articles?filters[slug]=no-such-story',
];

const core = (path: string) => `${path}${path.includes('?') ? '&' : '?'}populate=*`;

beforeAll(async () => {
  app = await startApp({ env: { CACHE_ENABLED: 'false' } });
  await publishBundledStory(app.strapi);
  for (let n = 1; n <= 9; n += 1) {
    const credit = n % 3 === 0 ? 'Reuters' : 'AP';
    const byline = n === 5 ? 'Dake Kang and Emily Wang Fujiyama' : n % 2 === 0 ? 'Dake Kang' : 'Emily Wang Fujiyama';
    await importText(story(n, credit, byline), `harbour_${n}.txt`, { section: n % 2 === 0 ? 'world' : 'business' });
    await new Promise((r) => setTimeout(r, 5)); // distinct firstPublishDate
  }
  // The same story in French, a draft that was never published, and a tagged article.
  await importText(story(1, 'AP', 'Dake Kang').replace('Story number 1', "L'histoire numéro 1"), 'harbour_1.txt', { locale: 'fr' });
  await importText(story(10, 'AP', 'Dake Kang').replace('harbour', 'secret draft'), 'harbour_draft.txt', { status: 'draft' });
  const tag = await app.strapi.documents('api::tag.tag').create({ data: { name: 'Harbour', slug: 'harbour' } } as never);
  const tagged = (await json(await fetch(`${app.baseUrl}/api/articles?filters[slug][$eq]=story-number-4-about-the-harbour`))).data[0] as Json;
  await app.strapi.documents(ARTICLE).update({ documentId: tagged.documentId, locale: 'en', data: { tags: [(tag as { documentId: string }).documentId] } } as never);
  await app.strapi.documents(ARTICLE).publish({ documentId: tagged.documentId, locale: 'en' } as never);
});
afterAll(async () => {
  await app?.stop();
});

describe('lists from the read model', () => {
  it.each(LISTS)('%s answers the bytes of the core controller', async (path) => {
    const fast = await text(path);
    const reference = await text(core(path));
    expect(fast.status).toBe(reference.status);
    expect(fast.body).toBe(reference.body);
    if (fast.status === 200) expect(fast.body).not.toContain('secret draft');
    // Purged by whatever purges Strapi's own answer: its cache tags are among the read model's.
    expect(fast.keys).toEqual(expect.arrayContaining(reference.keys));
  });

  it('the front page list has the whole articles, newest first', async () => {
    const { body } = await text('/api/articles?pagination[pageSize]=20');
    const page = JSON.parse(body) as { data: Array<{ headline: string; lead: { credit: { name: string } }; body: unknown[] }>; meta: Json };
    expect(page.data.map((a) => a.headline).slice(0, 3)).toEqual([
      'Story number 9 about the harbour',
      'Story number 8 about the harbour',
      'Story number 7 about the harbour',
    ]);
    expect(page.data[0].lead.credit.name).toBe('Reuters');
    expect(page.data[0].body).toHaveLength(2);
    expect(page.meta.pagination).toEqual({ page: 1, pageSize: 20, pageCount: 1, total: 10 });
  });

  it('the items are the read-model rows (one query for the page), and a missing row is built as it would be', async () => {
    const rows = app.strapi.db.connection('article_read_model');
    const seven = (await rows.clone().where({ slug: 'story-number-7-about-the-harbour', locale: 'en' }).first()) as { document_id: string; json: string };
    const path = '/api/articles?pagination[pageSize]=5';
    const before = (await text(path)).body;
    // A row's text is what the list shows: the list does not go back to the Document Service.
    await rows.clone().where({ document_id: seven.document_id, locale: 'en' }).update({ json: seven.json.replace('Story number 7', 'Marked row 7') });
    expect((await text(path)).body).toContain('Marked row 7');
    // Lists the core controller picks (another sort) take their items from the rows too.
    expect((await text('/api/articles?sort=headline:asc')).body).toContain('Marked row 7');
    // A row dropped by a wide change (rebuilt later): the list still shows the article, whole.
    await rows.clone().where({ document_id: seven.document_id, locale: 'en' }).delete();
    expect((await text(path)).body).toBe(before);
    expect((await text(path)).body).toBe((await text(core(path))).body);
  });

  it('follows publishes and unpublishes at once: the total and the items', async () => {
    const path = '/api/articles?pagination[pageSize]=2';
    const before = JSON.parse((await text(path)).body) as { meta: { pagination: { total: number } } };
    await importText(story(11, 'AP', 'Dake Kang'), 'harbour_11.txt');
    const after = JSON.parse((await text(path)).body) as { data: Array<{ headline: string; documentId: string }>; meta: { pagination: { total: number } } };
    expect(after.meta.pagination.total).toBe(before.meta.pagination.total + 1);
    expect(after.data[0].headline).toBe('Story number 11 about the harbour');
    await app.strapi.documents(ARTICLE).unpublish({ documentId: after.data[0].documentId, locale: 'en' } as never);
    const gone = JSON.parse((await text(path)).body) as { data: Array<{ headline: string }>; meta: { pagination: { total: number } } };
    expect(gone.meta.pagination.total).toBe(before.meta.pagination.total);
    expect(gone.data[0].headline).not.toBe('Story number 11 about the harbour');
    expect((await text(path)).body).toBe((await text(core(path))).body);
  });
});

// The bench's query (rows (5), (9), (10)): what it measures is what this file checks.
const ARTICLE_QUERY = GRAPHQL_QUERY;

const WIDE_QUERY = `query Wide($slug: String!, $locale: I18NLocaleCode, $withBody: Boolean!) {
  articles(filters: { slug: { eq: $slug } }, locale: $locale) {
    __typename documentId headline slug dateline byline standfirst locale
    firstPublishDate publishedAt createdAt updatedAt
    top: lead { ...Figure }
    body @include(if: $withBody) { __typename ...Paragraph ...Figure }
    authors { name slug } section { name slug } tags { name slug } corrections { __typename }
    credits { documentId name fullName url }
  }
}
fragment Figure on ComponentMediaFigure { id caption alt photographer copyright credit { documentId name } image { url width height formats } }
fragment Paragraph on ComponentContentParagraph { id text }`;

describe('the GraphQL article query from the read model', () => {
  const post = async (query: string, variables: Record<string, unknown>) => {
    const response = await fetch(`${app.baseUrl}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
    return { status: response.status, body: await response.text() };
  };
  const stock = async (query: string, variables: Record<string, unknown>) => {
    serving.serveFromReadModel(false);
    try {
      return await post(query, variables);
    } finally {
      serving.serveFromReadModel(true);
    }
  };

  it.each([
    ['the bench query', ARTICLE_QUERY, { slug: BUNDLED_SLUG }],
    ['fragments, aliases, directives, dates', WIDE_QUERY, { slug: BUNDLED_SLUG, withBody: true }],
    ['the same without the body', WIDE_QUERY, { slug: BUNDLED_SLUG, withBody: false }],
    ['a tagged article with its section and authors', WIDE_QUERY, { slug: 'story-number-4-about-the-harbour', withBody: true }],
    ['another locale', WIDE_QUERY, { slug: 'lhistoire-numero-1-about-the-harbour', locale: 'fr', withBody: true }],
    ['a slug nobody has', ARTICLE_QUERY, { slug: 'no-such-story' }],
    ['a draft', ARTICLE_QUERY, { slug: 'story-number-10-about-the-secret-draft' }],
    ['a relation with arguments', 'query ($slug: String!) { articles(filters: { slug: { eq: $slug } }) { headline authors(sort: "name:desc") { name } } }', { slug: 'story-number-5-about-the-harbour' }],
    ['another root field too', 'query ($slug: String!) { articles(filters: { slug: { eq: $slug } }) { headline } imageCredits { name } }', { slug: BUNDLED_SLUG }],
  ])('%s answers the bytes of Strapi\'s resolvers', async (label, query, variables) => {
    const fast = await post(query, variables);
    const found = !['a slug nobody has', 'a draft'].includes(label);
    expect((JSON.parse(fast.body) as { data: { articles: unknown[] } }).data.articles).toHaveLength(found ? 1 : 0);
    const reference = await stock(query, variables);
    expect(fast.status).toBe(reference.status);
    expect(fast.body).toBe(reference.body);
    expect(fast.body).not.toContain('secret draft');
    expect(fast.body).not.toContain('"errors"');
  });

  it('answers from the row: one query, no resolver', async () => {
    const rows = app.strapi.db.connection('article_read_model');
    const row = (await rows.clone().where({ slug: BUNDLED_SLUG, locale: 'en' }).first()) as { json: string };
    await rows.clone().where({ slug: BUNDLED_SLUG, locale: 'en' }).update({ json: row.json.replace('"headline":"', '"headline":"Marked row: ') });
    try {
      expect((await post(ARTICLE_QUERY, { slug: BUNDLED_SLUG })).body).toContain('Marked row: ');
      expect((await post(WIDE_QUERY, { slug: BUNDLED_SLUG, withBody: true })).body).toContain('Marked row: ');
      expect((await stock(ARTICLE_QUERY, { slug: BUNDLED_SLUG })).body).not.toContain('Marked row: ');
    } finally {
      await rows.clone().where({ slug: BUNDLED_SLUG, locale: 'en' }).update({ json: row.json });
    }
  });

  it('an edit saved but not published shows nowhere: lists and the GraphQL query keep the published text', async () => {
    const slug = 'story-number-8-about-the-harbour';
    const found = (await json(await fetch(`${app.baseUrl}/api/articles?filters[slug][$eq]=${slug}`))).data[0] as Json;
    await app.strapi.documents(ARTICLE).update({ documentId: found.documentId, locale: 'en', data: { headline: 'Pending edit headline' } } as never);
    for (const path of ['/api/articles?pagination[pageSize]=20', '/api/articles?filters[authors][slug][$eq]=dake-kang', '/api/articles?sort=headline:asc']) {
      const fast = await text(path);
      expect(fast.body).not.toContain('Pending edit headline');
      expect(fast.body).toBe((await text(core(path))).body);
    }
    const fast = await post(ARTICLE_QUERY, { slug });
    expect(fast.body).toContain('Story number 8 about the harbour');
    expect(fast.body).not.toContain('Pending edit headline');
    expect(fast.body).toBe((await stock(ARTICLE_QUERY, { slug })).body);
  });
});
