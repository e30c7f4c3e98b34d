import { writeStory } from '../../src/importer/write-story';
import { parseStory } from '../../src/story';
import { json } from '../helpers/http';
import { startApp, type TestApp } from '../helpers/strapi';

const ARTICLE = 'api::article.article';
let app: TestApp;
let documentId: string;
let creditId: string;

beforeAll(async () => {
  app = await startApp();
  const parsed = parseStory('Cache story headline\n\nA lead caption. Credit: Cache Agency\n\nFirst paragraph.\n', 'cache_story.txt');
  if (!parsed.ok) throw new Error(parsed.error.message);
  await writeStory(app.strapi, parsed.story, { locale: 'en', status: 'published', force: false });
  const list = await json(await fetch(`${app.baseUrl}/api/articles`));
  documentId = list.data[0].documentId;
  creditId = list.data[0].lead.credit.documentId;
});
afterAll(async () => {
  await app?.stop();
});

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${app.baseUrl}${path}`, { headers });

describe('ETag and Cache-Control', () => {
  it.each(['/api/articles', () => `/api/articles/${documentId}`, '/api/image-credits'])('%s: strong ETag, 304 on If-None-Match', async (p) => {
    const path = typeof p === 'function' ? p() : p;
    const first = await get(path);
    expect(first.status).toBe(200);
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[^"]+"$/);
    expect(first.headers.get('cache-control')).toBe('public, max-age=0, must-revalidate');
    expect(first.headers.get('surrogate-control')).toMatch(/max-age=\d+, stale-while-revalidate=\d+/);
    const body = await first.text();
    const second = await get(path);
    expect(second.headers.get('etag')).toBe(etag);
    expect(await second.text()).toBe(body);
    const revalidated = await get(path, { 'If-None-Match': etag as string });
    expect(revalidated.status).toBe(304);
    expect(revalidated.headers.get('etag')).toBe(etag);
    expect(await revalidated.text()).toBe('');
  });

  it('Surrogate-Key names the article and its credit', async () => {
    const response = await get(`/api/articles/${documentId}`);
    const keys = (response.headers.get('surrogate-key') ?? '').split(' ');
    expect(keys).toEqual(expect.arrayContaining([`doc:${documentId}`, `doc:${creditId}`]));
  });

  it('every route is tagged from the rows it read, not from its body: formats and the reader page name the credit too', async () => {
    const { data } = await json(await get(`/api/articles/${documentId}`));
    for (const path of [`/api/articles/${documentId}/jsonld`, `/api/articles/${documentId}/ninjs`, `/news/${data.slug}`]) {
      const response = await get(path);
      const body = await response.text();
      expect(body).not.toContain(creditId); // the credit's id is nowhere in these bodies…
      const keys = (response.headers.get('surrogate-key') ?? '').split(' ');
      expect([path, keys]).toEqual([path, expect.arrayContaining([`doc:${documentId}`, `doc:${creditId}`])]); // …but it was read
      expect(response.headers.get('cache-tag')).toBe(keys.join(','));
    }
    const list = await get('/api/articles');
    expect((list.headers.get('surrogate-key') ?? '').split(' ')).toEqual(expect.arrayContaining(['list:article', `doc:${documentId}`]));
    const byCredit = await get('/api/articles?filters[credits][name][$eq]=Nobody');
    expect((byCredit.headers.get('surrogate-key') ?? '').split(' ')).toEqual(expect.arrayContaining(['list:article', 'list:image-credit']));
  });

  it('HEAD answers the headers without a body', async () => {
    await get('/api/articles');
    const head = await fetch(`${app.baseUrl}/api/articles`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('etag')).toBeTruthy();
    expect(await head.text()).toBe('');
  });

  it('authenticated answers are private, no-store, and never a public copy', async () => {
    await get('/api/articles'); // warm the public copy
    const response = await get('/api/articles', { Authorization: 'Bearer not-a-valid-token' });
    expect(response.status).toBe(401);
    expect(response.headers.get('cache-control')).not.toBe('public, max-age=0, must-revalidate');
  });

  it('CORS: the allowed Origin gets its own copy; every other origin shares one copy that allows none', async () => {
    const path = '/api/articles?pagination[pageSize]=3';
    const allowed = 'http://news.test'; // PUBLIC_URL's origin, the default CORS_ORIGINS
    const first = await get(path, { Origin: allowed });
    expect(first.headers.get('access-control-allow-origin')).toBe(allowed);
    const again = await get(path, { Origin: allowed });
    expect(again.headers.get('x-cache')).toBe('hit');
    expect(again.headers.get('access-control-allow-origin')).toBe(allowed);
    const foreign = await get(path, { Origin: 'http://evil-1.example' });
    expect(foreign.headers.get('x-cache')).toBe('miss');
    expect(foreign.headers.get('access-control-allow-origin') ?? '').not.toBe(allowed);
    // Another foreign origin: the same copy (random Origin values make no new entries).
    const other = await get(path, { Origin: 'http://evil-2.example' });
    expect(other.headers.get('x-cache')).toBe('hit');
    expect(other.headers.get('access-control-allow-origin') ?? '').not.toBe(allowed);
    const none = await get(path);
    expect(none.headers.get('access-control-allow-origin')).not.toBe(allowed);
    expect(none.headers.get('vary')).toMatch(/Origin/);
  });

  it('one entry per request as Strapi reads it: parameter order and percent-encoding do not matter', async () => {
    const first = await get('/api/articles?pagination[pageSize]=2&sort=headline:asc');
    expect(first.headers.get('x-cache')).toBe('miss');
    const reordered = await get('/api/articles?sort=headline%3Aasc&pagination%5BpageSize%5D=2');
    expect(reordered.headers.get('x-cache')).toBe('hit');
    expect(await reordered.text()).toBe(await first.text());
  });

  it('GraphQL mutations run every time: never stored, never answered from the cache', async () => {
    // The Public role may update credits for this test, so that an anonymous mutation succeeds.
    const role = await app.strapi.db.query('plugin::users-permissions.role').findOne({ where: { type: 'public' } });
    const granted = await app.strapi.db
      .query('plugin::users-permissions.permission')
      .create({ data: { action: 'api::image-credit.image-credit.update', role: role.id } });
    try {
      const body = JSON.stringify({ query: `mutation { updateImageCredit(documentId: "${creditId}", data: { url: "https://agency.example" }) { updatedAt } }` });
      const mutate = () => fetch(`${app.baseUrl}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const first = await mutate();
      const firstBody = await json(first);
      expect(firstBody.errors).toBeUndefined();
      await new Promise((r) => setTimeout(r, 20));
      const second = await mutate();
      const secondBody = await json(second);
      expect(second.headers.get('x-cache')).toBeNull();
      expect(second.headers.get('cache-control')).toBe('no-store');
      expect(secondBody.data.updateImageCredit.updatedAt).not.toBe(firstBody.data.updateImageCredit.updatedAt);
    } finally {
      await app.strapi.db.query('plugin::users-permissions.permission').delete({ where: { id: granted.id } });
    }
  });
});

describe('invalidation', () => {
  it('a read right after a publish never returns the old text', async () => {
    const before = await json(await get(`/api/articles/${documentId}`));
    expect(before.data.headline).toBe('Cache story headline');
    await json(await get('/api/articles'));
    for (let round = 1; round <= 5; round += 1) {
      const headline = `Revised headline ${round}`;
      await app.strapi.documents(ARTICLE).update({ documentId, locale: 'en', data: { headline } } as never);
      // a draft save does not change what readers see
      expect((await json(await get(`/api/articles/${documentId}`))).data.headline).not.toBe(headline);
      await app.strapi.documents(ARTICLE).publish({ documentId, locale: 'en' } as never);
      expect((await json(await get(`/api/articles/${documentId}`))).data.headline).toBe(headline);
      expect((await json(await get('/api/articles'))).data[0].headline).toBe(headline);
    }
  });

  it('list totals follow publishes and unpublishes', async () => {
    const total = async () => (await json(await get('/api/articles?pagination[pageSize]=1'))).meta.pagination.total as number;
    const before = await total();
    const extra = await app.strapi.documents(ARTICLE).create({ locale: 'en', data: { headline: 'Counted story' } } as never);
    expect(await total()).toBe(before);
    await app.strapi.documents(ARTICLE).publish({ documentId: extra.documentId, locale: 'en' } as never);
    expect(await total()).toBe(before + 1);
    await app.strapi.documents(ARTICLE).unpublish({ documentId: extra.documentId, locale: 'en' } as never);
    expect(await total()).toBe(before);
  });

  it('unpublish removes the article from every cached answer', async () => {
    const other = await app.strapi.documents(ARTICLE).create({ locale: 'en', data: { headline: 'Short-lived story' } } as never);
    await app.strapi.documents(ARTICLE).publish({ documentId: other.documentId, locale: 'en' } as never);
    expect((await get(`/api/articles/${other.documentId}`)).status).toBe(200);
    expect(JSON.stringify(await json(await get('/api/articles')))).toContain('Short-lived story');
    await app.strapi.documents(ARTICLE).unpublish({ documentId: other.documentId, locale: 'en' } as never);
    expect((await get(`/api/articles/${other.documentId}`)).status).toBe(404);
    expect(JSON.stringify(await json(await get('/api/articles')))).not.toContain('Short-lived story');
  });

  it('a credit change purges the articles that show it', async () => {
    expect((await json(await get(`/api/articles/${documentId}`))).data.lead.credit.fullName).toBeNull();
    await app.strapi.documents('api::image-credit.image-credit').update({ documentId: creditId, data: { fullName: 'Cache Agency Ltd' } } as never);
    expect((await json(await get(`/api/articles/${documentId}`))).data.lead.credit.fullName).toBe('Cache Agency Ltd');
  });

  it('a new translation appears at once', async () => {
    expect((await get(`/api/articles/${documentId}?locale=ru`)).status).toBe(404);
    await app.strapi.documents(ARTICLE).update({ documentId, locale: 'ru', data: { headline: 'Русский заголовок' } } as never);
    await app.strapi.documents(ARTICLE).publish({ documentId, locale: 'ru' } as never);
    expect((await json(await get(`/api/articles/${documentId}?locale=ru`))).data.headline).toBe('Русский заголовок');
  });

  it('GraphQL answers are cached and purged too', async () => {
    const query = { query: `{ article(documentId: "${documentId}") { headline } }` };
    const ask = async () =>
      json(await fetch(`${app.baseUrl}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(query) }));
    const first = await ask();
    expect(first.data.article.headline).toMatch(/^Revised headline/);
    await app.strapi.documents(ARTICLE).update({ documentId, locale: 'en', data: { headline: 'GraphQL-visible headline' } } as never);
    await app.strapi.documents(ARTICLE).publish({ documentId, locale: 'en' } as never);
    expect((await ask()).data.article.headline).toBe('GraphQL-visible headline');
  });
});

describe('permissions', () => {
  it('revoking the public read takes effect at once, cached answers included; restoring it too', async () => {
    expect((await get('/api/articles')).status).toBe(200);
    expect((await get('/api/articles')).status).toBe(200); // cached
    const role = await app.strapi.db.query('plugin::users-permissions.role').findOne({ where: { type: 'public' } });
    const permission = await app.strapi.db
      .query('plugin::users-permissions.permission')
      .findOne({ where: { action: 'api::article.article.find', role: role.id } });
    await app.strapi.db.query('plugin::users-permissions.permission').delete({ where: { id: permission.id } });
    try {
      expect([401, 403]).toContain((await get('/api/articles')).status);
    } finally {
      await app.strapi.db.query('plugin::users-permissions.permission').create({ data: { action: 'api::article.article.find', role: role.id } });
    }
    expect((await get('/api/articles')).status).toBe(200);
  });
});

describe('every public representation follows the permission /api/articles follows', () => {
  const HEADLINE = 'Permission story headline';
  let ownId: string;
  beforeAll(async () => {
    const parsed = parseStory(`${HEADLINE}\n\nA caption. Credit: Permission Agency\n\nA paragraph.\n`, 'permission_story.txt');
    if (!parsed.ok) throw new Error(parsed.error.message);
    await writeStory(app.strapi, parsed.story, { locale: 'en', status: 'published', force: false });
    ownId = ((await app.strapi.db.query(ARTICLE).findOne({ where: { slug: 'permission-story-headline' } })) as { documentId: string }).documentId;
  });
  const shown = (): Array<[string, number]> => [
    ['/api/articles', 200],
    [`/api/articles/${ownId}`, 200],
    ['/news/permission-story-headline', 200],
    ['/rss.xml', 200],
    ['/atom.xml', 200],
    ['/sitemap.xml', 200],
    ['/news-sitemap.xml', 200],
    ['/corrections.rss', 200],
    ['/news/corrections', 200],
    ['/api/slug-redirects/no-such-old-slug', 404],
  ];
  const publicRole = async () => (await app.strapi.db.query('plugin::users-permissions.role').findOne({ where: { type: 'public' } })) as { id: number };
  const ACTIONS = ['api::article.article.find', 'api::article.article.findOne'];

  it('without find and findOne for the Public role, reader pages, feeds, sitemaps and slug redirects are refused as /api/articles is, cached copies included; an API token still reads them', async () => {
    for (const [path, status] of shown()) {
      expect([path, (await get(path)).status]).toEqual([path, status]);
      const again = await get(path); // the second read is the cached copy
      expect([path, again.status]).toEqual([path, status]);
      if (status === 200 && path !== '/news/corrections' && path !== '/corrections.rss') expect([path, await again.text()]).toEqual([path, expect.stringMatching(/Permission story headline|permission-story-headline/)]);
    }
    const role = await publicRole();
    const removed = (await app.strapi.db.query('plugin::users-permissions.permission').findMany({ where: { role: role.id, action: { $in: ACTIONS } } })) as Array<{ id: number; action: string }>;
    expect(removed.map((p) => p.action).sort()).toEqual(ACTIONS);
    await app.strapi.db.query('plugin::users-permissions.permission').deleteMany({ where: { id: { $in: removed.map((p) => p.id) } } });
    try {
      for (const [path] of shown()) {
        const refused = await get(path);
        expect([path, refused.status]).toEqual([path, 403]);
        expect(await refused.text()).not.toMatch(/Permission story headline|permission-story-headline/);
      }
      const token = (await app.strapi.service('admin::api-token').create({ name: `reader-${Date.now()}`, description: '', type: 'read-only', lifespan: null })) as { accessKey: string };
      const withToken = await get('/rss.xml', { authorization: `Bearer ${token.accessKey}` });
      expect(withToken.status).toBe(200);
      expect(await withToken.text()).toContain(HEADLINE);
      expect((await get('/rss.xml', { authorization: 'Bearer not-a-token' })).status).toBe(401);
    } finally {
      for (const action of ACTIONS) await app.strapi.db.query('plugin::users-permissions.permission').create({ data: { action, role: role.id } });
    }
    for (const [path, status] of shown()) expect([path, (await get(path)).status]).toEqual([path, status]);
  });
});

describe("the edge's fetches (X-Edge-Fetch, set by deploy/varnish/default.vcl)", () => {
  it('are answered from the database as committed now, never from this process’s cache', async () => {
    const parsed = parseStory('Edge fetch story\n\nA photo. Credit: Edge Fetch Agency\n\nOne paragraph.\n', 'edge_fetch_story.txt');
    if (!parsed.ok) throw new Error(parsed.error.message);
    await writeStory(app.strapi, parsed.story, { locale: 'en', status: 'published', force: false });
    const [row] = (await app.strapi.db.connection('article_read_model').where({ slug: 'edge-fetch-story' }).select('document_id')) as Array<{ document_id: string }>;
    const path = `/api/articles/${row.document_id}`;
    // Cached here (a second read is a hit)...
    await get(path);
    expect((await get(path)).headers.get('x-cache')).toBe('hit');
    // ...then changed behind the cache's back, as a write on another instance whose purge has not
    // reached this one yet looks from here.
    await app.strapi.db.connection.raw(`UPDATE article_read_model SET json = replace(json, 'Edge fetch story', 'Changed behind the cache') WHERE document_id = ?`, [row.document_id]);
    expect(await (await get(path)).text()).toContain('Edge fetch story');
    const edgeFetch = await get(path, { 'X-Edge-Fetch': '1' });
    expect(edgeFetch.headers.get('x-cache')).toBeNull();
    expect(await edgeFetch.text()).toContain('Changed behind the cache');
    expect(edgeFetch.headers.get('surrogate-key')).toContain(`doc:${row.document_id}`);
  });
});
