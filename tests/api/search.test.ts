import { writeStory } from '../../src/importer/write-story';
import { parseStory } from '../../src/story';
import { sql } from '../helpers/database';
import { json, type Json } from '../helpers/http';
import { startApp, TEST_ADMIN, type TestApp } from '../helpers/strapi';

/**
 * Search (GET /api/search, GraphQL `search`, the Article list's search box): stemming, accents,
 * Russian morphology, Chinese bigrams, websearch syntax, filters and facets, highlights, drafts
 * never public, fresh at once after a publish or an unpublish, bad input never a 5xx.
 */
const ARTICLE = 'api::article.article';
let app: TestApp;
let token: string;

// Each test writes its own stories, with words no other test uses.
let n = 0;
async function story(text: string, options: { locale?: string; status?: 'published' | 'draft'; section?: string } = {}): Promise<string> {
  n += 1;
  const parsed = parseStory(text, `search_${n}.txt`);
  if (!parsed.ok) throw new Error(parsed.error.message);
  const locale = options.locale ?? 'en';
  await writeStory(app.strapi, parsed.story, { locale, status: options.status ?? 'published', force: true, section: options.section });
  const row = (await app.strapi.db.query(ARTICLE).findOne({ where: { importSource: parsed.story.source, locale }, select: ['documentId'] })) as { documentId: string };
  return row.documentId;
}

const search = async (query: string) => {
  const response = await fetch(`${app.baseUrl}/api/search?${query}`);
  return { status: response.status, headers: response.headers, body: (await response.json().catch(() => null)) as Json };
};
const found = async (query: string) => {
  const answer = await search(query);
  expect(answer.status).toBe(200);
  return (answer.body.data as Json[]).map((hit) => hit.headline as string);
};
const q = (text: string) => `q=${encodeURIComponent(text)}`;

const admin = async (method: string, path: string, body?: unknown) => {
  const response = await fetch(`${app.baseUrl}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: response.status, body: (await response.json().catch(() => null)) as Json };
};

beforeAll(async () => {
  app = await startApp();
  token = (await json(await fetch(`${app.baseUrl}/admin/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(TEST_ADMIN) }))).data.token;
});
afterAll(async () => {
  await app?.stop();
});

test('English stemming and folded accents: glaciologists, turbines, Gdansk', async () => {
  await story(`Ice shelf retreats faster than expected\n\nThe glaciologist measured the shelf from a base near Gdańsk harbour.\n\nA single turbine powered the camp.\n`);
  expect(await found(q('glaciologists'))).toEqual(['Ice shelf retreats faster than expected']);
  expect(await found(q('turbines'))).toEqual(['Ice shelf retreats faster than expected']);
  const gdansk = await search(q('Gdansk'));
  expect(gdansk.body.data.map((hit: Json) => hit.headline)).toEqual(['Ice shelf retreats faster than expected']);
  expect(gdansk.body.data[0].highlights.join(' ')).toContain('<mark>Gdańsk</mark>');
});

test('Russian morphology: мостов finds мост and моста, in Russian only', async () => {
  await story(`Новый мост открыт в городе\n\nЖители давно ждали этот мост через реку.\n`, { locale: 'ru' });
  await story(`Строительство завершено досрочно\n\nСтроительство моста заняло три года.\n`, { locale: 'ru' });
  const hits = await found(`${q('мостов')}&locale=ru`);
  expect(hits.sort()).toEqual(['Новый мост открыт в городе', 'Строительство завершено досрочно']);
  expect(await found(`${q('мостов')}&locale=en`)).toEqual([]);
});

test('Chinese: a word inside a sentence is found through its bigrams, and highlighted', async () => {
  await story(`气候会议在北京开幕\n\n各国代表在会议上讨论减少排放的具体措施。\n`, { locale: 'zh-Hans' });
  const answer = await search(`${q('排放')}&locale=zh-Hans`);
  expect(answer.status).toBe(200);
  expect(answer.body.data.map((hit: Json) => hit.headline)).toEqual(['气候会议在北京开幕']);
  expect(answer.body.data[0].highlights.join('')).toContain('<mark>排放</mark>');
  // Characters that are not adjacent in the text do not make the word.
  expect(await found(`${q('排措')}&locale=zh-Hans`)).toEqual([]);
  // A lone character matches the words it starts; an excluded word excludes.
  expect(await found(`${q('排')}&locale=zh-Hans`)).toEqual(['气候会议在北京开幕']);
  expect(await found(`${q('排放 -北京')}&locale=zh-Hans`)).toEqual([]);
});

test('websearch syntax: all words, "phrases", OR, -excluded, and prefix', async () => {
  await story(`Harbour pilots strike\n\nThe quokka pilots walked out over pay on Monday.\n`);
  await story(`Harbour pilots return\n\nThe quokka pilots returned after talks, and the numbat union agreed.\n`);
  expect((await found(q('quokka pilots'))).sort()).toEqual(['Harbour pilots return', 'Harbour pilots strike']);
  expect(await found(q('quokka numbat'))).toEqual(['Harbour pilots return']);
  expect(await found(q('"pilots walked"'))).toEqual(['Harbour pilots strike']);
  expect(await found(q('"walked pilots"'))).toEqual([]);
  expect((await found(q('quokka walked OR numbat'))).sort()).toEqual(['Harbour pilots return', 'Harbour pilots strike']);
  expect(await found(q('quokka -numbat'))).toEqual(['Harbour pilots strike']);
  expect(await found(q('quok'))).toEqual([]);
  expect((await found(`${q('quok')}&prefix=true`)).sort()).toEqual(['Harbour pilots return', 'Harbour pilots strike']);
  expect(await found(`${q('pilots numb')}&prefix=true`)).toEqual(['Harbour pilots return']);
});

test('hits: fields, highlights escaped with <mark>, the headline weighted first', async () => {
  await story(`Wombat census begins\n\nVolunteers counted animals.\n`);
  await story(`Volunteers count birds\n\nA wombat <b>walked</b> past the "AT&T" tent, 3 < 4, while volunteers counted.\n`);
  const answer = await search(q('wombat'));
  expect(answer.status).toBe(200);
  const [first, second] = answer.body.data as Json[];
  expect(first.headline).toBe('Wombat census begins');
  expect(second.headline).toBe('Volunteers count birds');
  for (const key of ['documentId', 'slug', 'locale', 'headline', 'standfirst', 'firstPublishDate', 'section', 'authors', 'thumbnail', 'highlights']) expect(second).toHaveProperty(key);
  const text = second.highlights.join(' ');
  expect(text).toContain('<mark>wombat</mark>');
  expect(text).toContain('walked'); // PostgreSQL's headline leaves tag-like text out
  expect(text).toContain('3 &lt; 4');
  expect(text).toContain('&quot;AT&amp;T&quot;');
  expect(text.replace(/<\/?mark>/g, '')).not.toMatch(/[<>]/);
  expect(answer.body.meta.pagination).toEqual({ page: 1, pageSize: 10, pageCount: 1, total: 2 });
});

test('highlights come from where the match is, deep in a long story', async () => {
  const filler = Array.from({ length: 60 }, (_, i) => `Paragraph ${i} tells of the tradition of the harbour and its boats.`).join('\n\n');
  await story(`Long harbour history\n\n${filler}\n\nAt the very end the kinkajou traders arrived.\n`);
  const [hit] = (await search(q('traders kinkajou'))).body.data as Json[];
  expect(hit.highlights.join(' ')).toMatch(/<mark>kinkajou<\/mark> <mark>traders<\/mark>/);
});

test('filters (section, tag, author, dates), sort=newest and facets', async () => {
  const world = await story(`Aardvark sighted in the city\n\nBy Jan Kowalski\n\nAn aardvark crossed the road.\n`, { section: 'world' });
  await story(`Aardvark returns to the zoo\n\nThe aardvark was caught.\n`, { section: 'business' });
  const tag = (await app.strapi.documents('api::tag.tag').create({ data: { name: 'Animals', slug: 'animals' } } as never)) as { documentId: string };
  await app.strapi.documents(ARTICLE).update({ documentId: world, locale: 'en', data: { tags: [tag.documentId] } } as never);
  await app.strapi.documents(ARTICLE).publish({ documentId: world, locale: 'en' } as never);

  expect(await found(`${q('aardvark')}&section=world`)).toEqual(['Aardvark sighted in the city']);
  expect(await found(`${q('aardvark')}&tag=animals`)).toEqual(['Aardvark sighted in the city']);
  expect(await found(`${q('aardvark')}&author=jan-kowalski`)).toEqual(['Aardvark sighted in the city']);
  expect(await found(`${q('aardvark')}&from=2000-01-01&to=2000-12-31`)).toEqual([]);
  // A date-time bound is that instant, both ends included.
  const published = (await search(`${q('aardvark')}&section=world`)).body.data[0].firstPublishDate as string;
  expect(await found(`${q('aardvark')}&section=world&from=${published}&to=${published}`)).toEqual(['Aardvark sighted in the city']);
  const before = new Date(Date.parse(published) - 1).toISOString();
  expect(await found(`${q('aardvark')}&section=world&to=${before}`)).toEqual([]);
  const today = new Date().toISOString().slice(0, 10);
  expect(await found(`${q('aardvark')}&from=${today}&to=${today}&sort=newest`)).toEqual(['Aardvark returns to the zoo', 'Aardvark sighted in the city']);
  const { body } = await search(q('aardvark'));
  expect(body.meta.facets.sections).toEqual([
    { slug: 'business', name: expect.any(String), count: 1 },
    { slug: 'world', name: expect.any(String), count: 1 },
  ]);
  expect(body.meta.facets.tags).toEqual([{ slug: 'animals', name: 'Animals', count: 1 }]);
});

test('drafts are never found; a publish is findable and an unpublish unfindable at once, through the cache', async () => {
  const draft = await story(`Zeppelin plan leaked\n\nThe zeppelinium memo was never meant to be read.\n`, { status: 'draft' });
  const first = await search(q('zeppelinium'));
  expect(first.body.data).toEqual([]);
  expect((await search(q('zeppelinium'))).headers.get('x-cache')).toBe('hit');
  expect(first.headers.get('surrogate-key')).toContain('list:article');

  await app.strapi.documents(ARTICLE).publish({ documentId: draft, locale: 'en' } as never);
  expect(await found(q('zeppelinium'))).toEqual(['Zeppelin plan leaked']);
  // A draft edit is not public until published.
  await app.strapi.documents(ARTICLE).update({ documentId: draft, locale: 'en', data: { headline: 'Zeppelin plan leaked: the sequel', standfirst: 'A blimpoglyph appears.' } } as never);
  expect(await found(q('blimpoglyph'))).toEqual([]);
  expect(await found(q('zeppelinium'))).toEqual(['Zeppelin plan leaked']);

  await app.strapi.documents(ARTICLE).unpublish({ documentId: draft, locale: 'en' } as never);
  expect(await found(q('zeppelinium'))).toEqual([]);
});

test('the Public role without the article list: search is 403 too', async () => {
  await story(`Pangolin spotted\n\nA pangolin was seen.\n`);
  const role = (await app.strapi.db.query('plugin::users-permissions.role').findOne({ where: { type: 'public' }, populate: ['permissions'] })) as { id: number; permissions: Array<{ id: number; action: string }> };
  const find = role.permissions.find((p) => p.action === 'api::article.article.find');
  expect(find).toBeDefined();
  expect((await search(q('pangolin'))).status).toBe(200);
  await app.strapi.db.query('plugin::users-permissions.permission').delete({ where: { id: find!.id } });
  try {
    expect((await search(q('pangolin'))).status).toBe(403);
  } finally {
    await app.strapi.db.query('plugin::users-permissions.permission').create({ data: { action: 'api::article.article.find', role: role.id } });
  }
  // Every row is rebuilt after a permission change, and what was answered meanwhile purged.
  const deadline = Date.now() + 5000;
  let hits = await found(q('pangolin'));
  while (hits.length === 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    hits = await found(q('pangolin'));
  }
  expect(hits).toEqual(['Pangolin spotted']);
});

test('a stale row (before its rebuild) still finds its article; the hit shows the article as it is now', async () => {
  const documentId = await story(`Narwhal tusk found\n\nA narwhal tusk washed ashore on Tuesday.\n`);
  await sql(app.databaseUrl, `UPDATE article_read_model SET stale = true, search_hit = jsonb_set(search_hit::jsonb, '{headline}', '"Old headline"')::text, json = replace(json, 'Narwhal tusk found', 'Old headline') WHERE document_id = $1`, [documentId]);
  const [hit] = (await search(q('narwhal'))).body.data as Json[];
  expect(hit.headline).toBe('Narwhal tusk found');
  expect(hit.highlights.join(' ')).toContain('<mark>narwhal</mark>');
  // Reads never serve a stale row's JSON.
  const article = await json(await fetch(`${app.baseUrl}/api/articles/${documentId}`));
  expect(article.data.headline).toBe('Narwhal tusk found');
  const list = await json(await fetch(`${app.baseUrl}/api/articles?pagination[pageSize]=100`));
  expect(JSON.stringify(list.data)).not.toContain('Old headline');
});

test('bad input answers 200 or 400 with a message, never 5xx', async () => {
  await story(`Okapi found\n\nAn okapi was found in the forest.\n`);
  const hostile = [
    "'; DROP TABLE articles; --",
    'okapi & | ! : * ( ) <-> <2>',
    '"',
    "'",
    '-',
    '--',
    'OR',
    '"okapi',
    '\\',
    'okapi\u0000forest',
    '\u0000',
    '%_%',
    'a:* & b',
    '!!okapi',
    '(okapi',
    'x'.repeat(256),
    '🦒 okapi',
    'the',
  ];
  for (const text of hostile) {
    for (const extra of ['', '&prefix=true', '&locale=zh-Hans', '&locale=ru']) {
      const answer = await search(`${q(text)}${extra}`);
      expect([200, 400]).toContain(answer.status);
      if (answer.status === 400) expect(typeof answer.body.error.message).toBe('string');
      else expect(Array.isArray(answer.body.data)).toBe(true);
    }
  }
  // A NUL anywhere in the URL is refused before any route (PostgreSQL text cannot hold it).
  expect((await search(q('okapi\u0000forest'))).body.error.message).toMatch(/NUL/);
  expect((await search(q('x'.repeat(257)))).status).toBe(400);
  expect((await search(q('x'.repeat(5000)))).status).toBe(400);
  expect((await search(`${q('okapi')}&locale=xx`)).status).toBe(400);
  expect((await search('')).status).toBe(400);
  expect((await search('q=')).status).toBe(400);
  expect((await search(`${q('okapi')}&q=again`)).status).toBe(400);
  expect((await search(`${q('okapi')}&sort=oldest`)).status).toBe(400);
  expect((await search(`${q('okapi')}&from=yesterday`)).status).toBe(400);
  expect((await search(`${q('okapi')}&section=Not%20A%20Slug`)).status).toBe(400);
  expect((await search(`${q('okapi')}&unknown=1`)).status).toBe(400);
  expect((await search(`${q('okapi')}&pageSize=500`)).body.meta.pagination.pageSize).toBe(50);
  expect((await search(`${q('okapi')}&pagination[pageSize]=0`)).status).toBe(400);
});

test('GraphQL search returns the same hits as REST', async () => {
  await story(`Quetzal nest found\n\nA quetzal nested in the old tower.\n`, { section: 'world' });
  const rest = await search(`${q('quetzal')}&section=world`);
  const response = await fetch(`${app.baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: `query($q: String!) { search(query: $q, locale: "en", filters: { section: "world" }, pagination: { page: 1, pageSize: 5 }) {
        hits { documentId slug headline highlights section { slug } authors { slug } }
        pagination { page pageSize total pageCount }
        facets { sections { slug count } }
      } }`,
      variables: { q: 'quetzal' },
    }),
  });
  const body = await json(response);
  expect(body.errors).toBeUndefined();
  expect(body.data.search.hits.map((hit: Json) => hit.documentId)).toEqual(rest.body.data.map((hit: Json) => hit.documentId));
  expect(body.data.search.hits[0].highlights).toEqual(rest.body.data[0].highlights);
  expect(body.data.search.pagination).toEqual({ page: 1, pageSize: 5, total: 1, pageCount: 1 });
  const bad = await json(
    await fetch(`${app.baseUrl}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: `{ search(query: "${'y'.repeat(300)}") { hits { slug } } }` }) })
  );
  expect(bad.errors[0].message).toMatch(/longer than 256/);
});

test("editors: the Article list's search box finds drafts and published stories by body text and captions", async () => {
  await story(`Council meets\n\nThe council discussed the capybarine proposal.\n`, { status: 'draft' });
  const museum = await story(`Museum reopens\n\nVisitors returned.\n\nA curator dusts the hall. Credit: Tapirology Press\n`);
  // Imported published (the importer's own SQL path): its draft is in the editors' index too.
  expect(await sql(app.databaseUrl, `SELECT 1 FROM article_search_drafts WHERE document_id = $1 AND locale = 'en'`, [museum])).toHaveLength(1);
  const list = async (text: string) => {
    const answer = await admin('GET', `/content-manager/collection-types/${ARTICLE}?page=1&pageSize=10&locale=en&_q=${encodeURIComponent(text)}`);
    expect(answer.status).toBe(200);
    return (answer.body.results as Json[]).map((row) => row.headline as string);
  };
  expect(await list('capybarine')).toEqual(['Council meets']);
  // Drafts written through the Document Service (the content manager's path) are indexed at once.
  const created = (await app.strapi.documents(ARTICLE).create({ locale: 'en', data: { headline: 'Budget row', slug: 'budget-row', body: [{ __component: 'content.paragraph', text: 'The aldermen argued about the okapiary.' }] } } as never)) as { documentId: string };
  expect(await list('okapiary')).toEqual(['Budget row']);
  await app.strapi.documents(ARTICLE).update({ documentId: created.documentId, locale: 'en', data: { body: [{ __component: 'content.paragraph', text: 'The aldermen argued about the zebrafish.' }] } } as never);
  expect(await list('zebrafish')).toEqual(['Budget row']);
  expect(await list('okapiary')).toEqual([]);
  expect(await list('tapirology')).toEqual(['Museum reopens']);
  expect(await list('tapirol')).toEqual(['Museum reopens']); // as one types
  expect(await list('Museum reo')).toEqual(['Museum reopens']); // the headline, as before
  // The public never sees the draft.
  expect(await found(q('capybarine'))).toEqual([]);
});
