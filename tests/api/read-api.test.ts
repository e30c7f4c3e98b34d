import { publishBundledStory, publishStory } from '../helpers/stories';
import { strapi as strapiClient } from '@strapi/client';
import { json } from '../helpers/http';
import { startApp, type TestApp } from '../helpers/strapi';

const SLUG = 'putin-visits-chinas-little-moscow-as-allies-continue-to-discuss-trade';
const ARTICLE = 'api::article.article';
let app: TestApp;
let documentId: string;
const get = async (path: string) => {
  const response = await fetch(`${app.baseUrl}${path}`);
  return { status: response.status, body: await json(response) };
};

beforeAll(async () => {
  app = await startApp();
  await publishBundledStory(app.strapi);
  await new Promise((r) => setTimeout(r, 20)); // a later firstPublishDate
  await publishStory(app.strapi, 'Later story\n\nA caption. Credit: Getty Images\n\nBody text.\n', 'later.txt');
  documentId = (await get(`/api/articles?filters[slug][$eq]=${SLUG}`)).body.data[0].documentId;
});
afterAll(async () => {
  await app?.stop();
});

describe('REST: the whole article in one request', () => {
  it.each([
    ['by slug', () => `/api/articles?filters[slug][$eq]=${SLUG}`],
    ['by headline', () => `/api/articles?filters[headline][$eq]=${encodeURIComponent("Putin visits China's 'Little Moscow' as allies continue to discuss trade")}`],
    ['by documentId', () => `/api/articles/${documentId}`],
  ])('%s, with no populate parameters', async (_label, path) => {
    const { status, body } = await get(path());
    expect(status).toBe(200);
    const article = Array.isArray(body.data) ? body.data[0] : body.data;
    expect(article).toMatchObject({ slug: SLUG, locale: 'en' });
    expect(article.lead.caption).toMatch(/^Russian President Vladimir Putin, left,/);
    expect(article.lead.credit.name).toBe('AP');
    expect(article.body).toHaveLength(14);
    expect(article.body[6]).toMatchObject({ __component: 'media.figure', credit: { name: 'AP' } });
    expect(article.body[0]).toMatchObject({ __component: 'content.paragraph' });
    expect(article.credits.map((c: { name: string }) => c.name)).toEqual(['AP']);
    for (const hidden of ['version', 'importSource', 'importHash', 'importVersion', 'createdBy', 'updatedBy']) {
      expect(article).not.toHaveProperty(hidden);
    }
  });

  it('the list is newest first by firstPublishDate', async () => {
    const { body } = await get('/api/articles');
    expect(body.data.map((a: { headline: string }) => a.headline)[0]).toBe('Later story');
    expect(body.meta.pagination.pageSize).toBe(25);
  });

  it('pageSize is capped at 100', async () => {
    const { status, body } = await get('/api/articles?pagination[pageSize]=1000');
    expect(status).toBe(200);
    expect(body.meta.pagination.pageSize).toBeLessThanOrEqual(100);
  });

  it('clients can narrow populate, never widen it', async () => {
    const narrow = await get(`/api/articles/${documentId}?populate[0]=lead`);
    expect(narrow.status).toBe(200);
    expect(narrow.body.data.lead.credit.name).toBe('AP');
    expect(narrow.body.data).not.toHaveProperty('body');
    expect((await get(`/api/articles/${documentId}?populate=createdBy`)).status).toBe(400);
    expect((await get(`/api/articles/${documentId}?populate[lead][populate][credit][populate]=*`)).body.data.lead.credit.name).toBe('AP');
  });

  it('no silent fallback to another locale', async () => {
    const { status, body } = await get(`/api/articles?locale=zh-Hans&filters[slug][$eq]=${SLUG}`);
    expect(status).toBe(200);
    expect(body.data).toEqual([]);
    expect((await get(`/api/articles/${documentId}?locale=ru`)).status).toBe(404);
  });

  it('credits are listed, and stories filter by credit', async () => {
    const credits = await get('/api/image-credits');
    expect(credits.body.data.map((c: { name: string }) => c.name).sort()).toEqual(['AP', 'Getty Images']);
    const ap = await get('/api/articles?filters[credits][name][$eq]=AP');
    expect(ap.body.data.map((a: { slug: string }) => a.slug)).toEqual([SLUG]);
  });

  it('status=draft from the public is refused (400), as GraphQL refuses it; the published version stays', async () => {
    await app.strapi.documents(ARTICLE).update({ documentId, locale: 'en', data: { headline: 'Unpublished edit' } } as never);
    const one = await get(`/api/articles/${documentId}?status=draft`);
    expect(one.status).toBe(400);
    expect(one.body.error.message).toMatch(/Drafts are not public/);
    const list = await get('/api/articles?status=draft');
    expect(list.status).toBe(400);
    expect(JSON.stringify(list.body)).not.toContain('Unpublished edit');
    for (const asked of ['hasPublishedVersion=false', 'publicationFilter=never-published-document']) {
      expect((await get(`/api/articles?${asked}`)).status).toBe(400);
    }
    const published = await get(`/api/articles/${documentId}?status=published`);
    expect(published.status).toBe(200);
    expect(published.body.data.headline).toBe("Putin visits China's 'Little Moscow' as allies continue to discuss trade");
  });

  it('a full-access API token reads drafts (REST and GraphQL); a read-only token does not', async () => {
    await app.strapi.documents(ARTICLE).update({ documentId, locale: 'en', data: { headline: 'Draft for token holders' } } as never);
    const tokens = app.strapi.service('admin::api-token');
    const full = (await tokens.create({ name: 'drafts full', type: 'full-access', lifespan: null })) as { accessKey: string };
    const readOnly = (await tokens.create({ name: 'drafts read-only', type: 'read-only', lifespan: null })) as { accessKey: string };
    const as = (token: string, path: string) => fetch(`${app.baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
    const draft = await as(full.accessKey, `/api/articles/${documentId}?status=draft`);
    expect(draft.status).toBe(200);
    expect(draft.headers.get('cache-control')).toBe('private, no-store');
    expect((await json(draft)).data.headline).toBe('Draft for token holders');
    const graphql = await fetch(`${app.baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${full.accessKey}` },
      body: JSON.stringify({ query: `{ article(documentId: "${documentId}", status: DRAFT) { headline } }` }),
    });
    expect((await json(graphql)).data.article.headline).toBe('Draft for token holders');
    expect((await as(readOnly.accessKey, `/api/articles/${documentId}?status=draft`)).status).toBe(400);
    expect((await json(await as(readOnly.accessKey, `/api/articles/${documentId}`))).data.headline).not.toBe('Draft for token holders');
  });

  it('unknown query keys answer 400 (strictParams)', async () => {
    expect((await get('/api/articles?bogus=1')).status).toBe(400);
    expect((await get('/api/articles?filters[importSource][$eq]=x')).status).toBe(400);
  });
});

describe('the read model', () => {
  it('answers one article by slug or id with the very bytes the core controller answers', async () => {
    const text = async (path: string) => (await fetch(`${app.baseUrl}${path}`)).text();
    const bySlug = `/api/articles?filters[slug][$eq]=${SLUG}`;
    expect(await text(bySlug)).toBe(await text(`${bySlug}&pagination[page]=1`));
    expect(await text(`/api/articles/${documentId}`)).toBe(await text(`/api/articles/${documentId}?populate=*`));
    const rows = await app.strapi.db.connection('article_read_model').select('document_id', 'locale');
    expect(rows).toEqual(expect.arrayContaining([{ document_id: documentId, locale: 'en' }]));
  });

  it('a request for Strapi v4 response format is neither served from nor stored in the shared cache', async () => {
    const v4 = await fetch(`${app.baseUrl}/api/articles/${documentId}`, { headers: { 'Strapi-Response-Format': 'v4' } });
    const body = await json(v4);
    expect(body.data.attributes).toBeDefined();
    const v5 = await json(await fetch(`${app.baseUrl}/api/articles/${documentId}`));
    expect(v5.data.attributes).toBeUndefined();
    expect(v5.data.documentId).toBe(documentId);
  });
});

describe('@strapi/client', () => {
  it('reads the whole article in the standard response shape', async () => {
    const client = strapiClient({ baseURL: `${app.baseUrl}/api` });
    const articles = client.collection('articles');
    const found = (await articles.find({ filters: { slug: { $eq: SLUG } } })) as unknown as {
      data: Array<{ documentId: string; headline: string; lead: { credit: { name: string } }; body: unknown[] }>;
      meta: { pagination: { total: number } };
    };
    expect(found.meta.pagination.total).toBe(1);
    expect(found.data[0].lead.credit.name).toBe('AP');
    expect(found.data[0].body).toHaveLength(14);
    const one = (await articles.findOne(found.data[0].documentId)) as unknown as { data: { headline: string } };
    expect(one.data.headline).toBe(found.data[0].headline);
    const credits = (await client.collection('image-credits').find()) as unknown as { data: Array<{ name: string }> };
    expect(credits.data.map((c) => c.name)).toContain('AP');
  });
});
