import { publishBundledStory } from '../helpers/stories';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { json } from '../helpers/http';
import { startApp, type TestApp } from '../helpers/strapi';

const ROOT = join(__dirname, '..', '..');
const ARTICLE = 'api::article.article';
let app: TestApp;
let documentId: string;

beforeAll(async () => {
  app = await startApp();
  await publishBundledStory(app.strapi);
  documentId = (await json(await fetch(`${app.baseUrl}/api/articles`))).data[0].documentId;
});
afterAll(async () => {
  await app?.stop();
});

const graphql = async (query: string, variables: Record<string, unknown> = {}) => {
  const response = await fetch(`${app.baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: await json(response) };
};

describe('standard formats over HTTP', () => {
  it('JSON-LD: a schema.org NewsArticle with absolute links on PUBLIC_URL', async () => {
    const response = await fetch(`${app.baseUrl}/api/articles/${documentId}/jsonld`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/application\/ld\+json/);
    expect(response.headers.get('etag')).toBeTruthy();
    const body = await json(response);
    expect(body).toMatchObject({ '@context': 'https://schema.org', '@type': 'NewsArticle', inLanguage: 'en' });
    expect(body.url).toBe('http://news.test/news/putin-visits-chinas-little-moscow-as-allies-continue-to-discuss-trade');
    expect(body.image[0]).toMatchObject({ '@type': 'ImageObject', creditText: 'AP' });
    expect(body.articleBody.split('\n\n')).toHaveLength(13);
  });

  it('ninjs 3.1: valid against the published schema', async () => {
    const response = await fetch(`${app.baseUrl}/api/articles/${documentId}/ninjs`);
    expect(response.status).toBe(200);
    const body = await json(response);
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addMetaSchema(require('ajv/dist/refs/json-schema-draft-07.json'));
    ajv.addSchema(JSON.parse(readFileSync(join(ROOT, 'tests/fixtures/ninjs/GeoJSON.json'), 'utf8')));
    const validate = ajv.compile(JSON.parse(readFileSync(join(ROOT, 'tests/fixtures/ninjs/ninjs-schema_3.1.json'), 'utf8')));
    expect(validate(body) ? [] : validate.errors).toEqual([]);
    expect(body.uri).toMatch(/^http:\/\/news\.test\//);
    expect(Object.keys(body.associations)).toHaveLength(2);
  });

  it('formats: 404 for an unknown article or locale, 400 for unknown query keys', async () => {
    expect((await fetch(`${app.baseUrl}/api/articles/doesnotexist/ninjs`)).status).toBe(404);
    expect((await fetch(`${app.baseUrl}/api/articles/${documentId}/jsonld?locale=ru`)).status).toBe(404);
    expect((await fetch(`${app.baseUrl}/api/articles/${documentId}/jsonld?locale=xx`)).status).toBe(400);
    expect((await fetch(`${app.baseUrl}/api/articles/${documentId}/ninjs?populate=*`)).status).toBe(400);
  });
});

describe('GraphQL', () => {
  const ARTICLE_QUERY = `query ($slug: String!) {
    articles(filters: { slug: { eq: $slug } }) {
      documentId headline slug locale
      lead { caption credit { name fullName url } }
      body {
        __typename
        ... on ComponentContentParagraph { text }
        ... on ComponentMediaFigure { caption credit { name } }
      }
      credits { name }
    }
  }`;

  it('the article, figures, captions and credits in one query', async () => {
    const { status, body } = await graphql(ARTICLE_QUERY, { slug: 'putin-visits-chinas-little-moscow-as-allies-continue-to-discuss-trade' });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const [article] = body.data.articles;
    expect(article.lead.credit.name).toBe('AP');
    expect(article.body).toHaveLength(14);
    expect(article.body[6]).toMatchObject({ __typename: 'ComponentMediaFigure', credit: { name: 'AP' } });
    expect(article.credits).toEqual([{ name: 'AP' }]);
  });

  it('no drafts for the public, whatever status is asked for', async () => {
    await app.strapi.documents(ARTICLE).update({ documentId, locale: 'en', data: { headline: 'Draft-only GraphQL headline' } } as never);
    const { body } = await graphql(`{ articles(status: DRAFT) { headline } article(documentId: "${documentId}", status: DRAFT) { headline } }`);
    expect(JSON.stringify(body)).not.toContain('Draft-only GraphQL headline');
  });

  it('private fields and revisions are not in the schema', async () => {
    const { body } = await graphql(`{ __type(name: "Article") { fields { name } } }`);
    if (!body.data?.__type) throw new Error(JSON.stringify(body));
    const names = body.data.__type.fields.map((f: { name: string }) => f.name);
    for (const hidden of ['version', 'importSource', 'importHash', 'importVersion']) expect(names).not.toContain(hidden);
    const revisions = await graphql('{ articleRevisions { documentId } }');
    expect(revisions.body.errors).toBeDefined();
  });

  it('list caps: at most 100 items by default 25', async () => {
    const capped = await graphql('{ articles(pagination: { limit: 1000 }) { documentId } articles_connection(pagination: { pageSize: 1000 }) { pageInfo { pageSize } } }');
    expect(capped.body.errors).toBeUndefined();
    expect(capped.body.data.articles_connection.pageInfo.pageSize).toBe(100);
    const byDefault = await graphql('{ articles_connection { pageInfo { pageSize } } }');
    expect(byDefault.body.data.articles_connection.pageInfo.pageSize).toBe(25);
  });

  it('a depth limit of 10: a query of real fields 11 deep is refused for its depth', async () => {
    const nested = (depth: number) => `{ articles { ${'localizations { '.repeat(depth - 1)}documentId${' }'.repeat(depth - 1)} } }`;
    const tooDeep = await graphql(nested(12));
    expect(tooDeep.status).toBe(400);
    expect(tooDeep.body.errors[0].message).toMatch(/exceeds maximum operation depth of 10/);
    const shallow = await graphql(nested(2));
    expect(shallow.body.errors).toBeUndefined();
  });

  it('at most 500 fields per operation (GRAPHQL_MAX_FIELDS)', async () => {
    const fields = (n: number) => `{ articles(pagination: { pageSize: 1 }) { ${Array.from({ length: n }, (_, i) => `f${i}: headline`).join(' ')} } }`;
    const tooMany = await graphql(fields(500)); // 501 with `articles`
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.errors[0].message).toMatch(/selects more than 500 fields/);
    expect((await graphql(fields(499))).body.errors).toBeUndefined();
  });

  it('a cost limit before execution: page sizes times nested lists, variables included; 400 with the cost and the limit', async () => {
    const aliases = (n: number) => Array.from({ length: n }, (_, i) => `a${i}: articles(pagination: { pageSize: $size }) { documentId credits { name } body { __typename } }`).join(' ');
    const query = `query ($size: Int) { ${aliases(20)} }`;
    const costly = await graphql(query, { size: 100 });
    expect(costly.status).toBe(400);
    expect(costly.body.errors[0].extensions).toMatchObject({ code: 'QUERY_TOO_COSTLY', limit: 10_000 });
    expect(costly.body.errors[0].extensions.cost).toBe(20 * 100 * (1 + 25 + 25));
    expect(costly.body.errors[0].message).toMatch(/cost 102000 exceeds the limit of 10000/);
    const cheap = await graphql(query, { size: 2 });
    expect(cheap.status).toBe(200);
    expect(cheap.body.errors).toBeUndefined();
  });

  it("the review's query (20 × 100 articles, localizations six deep) is refused, not run", async () => {
    const localizations = `${'localizations { '.repeat(6)}headline${' }'.repeat(6)}`;
    const query = `{ ${Array.from({ length: 20 }, (_, i) => `a${i}: articles(pagination: { pageSize: 100 }) { headline ${localizations} }`).join(' ')} }`;
    // The public may not nest localizations at all; a full-access token meets the cost limit.
    const refused = await graphql(query);
    expect(refused.status).toBe(400);
    expect(refused.body.data).toBeUndefined();
    const token = (await app.strapi.service('admin::api-token').create({ name: 'cost test', type: 'full-access', lifespan: null })) as { accessKey: string };
    const asAdmin = await fetch(`${app.baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token.accessKey}` },
      body: JSON.stringify({ query }),
    });
    expect(asAdmin.status).toBe(400);
    const body = await json(asAdmin);
    expect(body.errors[0].extensions).toMatchObject({ code: 'QUERY_TOO_COSTLY', cost: 20 * 100 * (1 + 2 + 4 + 8 + 16 + 32 + 64) });
  });

  it('GET /graphql gets the same caps, cost limit and error scrubbing as POST', async () => {
    const get = async (query: string) => {
      const response = await fetch(`${app.baseUrl}/graphql?query=${encodeURIComponent(query)}`, { headers: { 'apollo-require-preflight': 'true' } });
      return { status: response.status, body: await json(response), cache: response.headers.get('cache-control') };
    };
    const fine = await get(`{ article(documentId: "${documentId}") { headline } }`);
    expect(fine.status).toBe(200);
    expect(fine.body.data.article.headline).toMatch(/Putin/);
    const deep = await get(`{ articles { ${'localizations { '.repeat(11)}documentId${' }'.repeat(11)} } }`);
    expect(deep.status).toBe(400);
    expect(deep.body.errors[0].message).toMatch(/maximum operation depth/);
    const costly = await get(`{ ${Array.from({ length: 20 }, (_, i) => `a${i}: articles(pagination: { pageSize: 100 }) { documentId credits { name } body { __typename } }`).join(' ')} }`);
    expect(costly.status).toBe(400);
    expect(costly.body.errors[0].extensions.code).toBe('QUERY_TOO_COSTLY');
    // A value the database cannot hold: scrubbed as over POST (no SQL, no driver text).
    const bad = await get('{ articles(filters: { firstPublishDate: { eq: "not-a-date-at-all" } }) { headline } }');
    const text = JSON.stringify(bad.body);
    expect(text).not.toMatch(/select |from "|invalid input syntax|stacktrace/i);
    expect(bad.cache).not.toMatch(/public/);
  });
});
