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

  it('list caps: at most 100 items; a depth limit', async () => {
    const capped = await graphql('{ articles(pagination: { limit: 1000 }) { documentId } articles_connection(pagination: { pageSize: 1000 }) { pageInfo { pageSize } } }');
    expect(capped.body.errors).toBeUndefined();
    expect(capped.body.data.articles_connection.pageInfo.pageSize).toBe(100);
    const byDefault = await graphql('{ articles_connection { pageInfo { pageSize } } }');
    expect(byDefault.body.data.articles_connection.pageInfo.pageSize).toBe(25);
    let deep = 'name';
    for (let i = 0; i < 12; i += 1) deep = `credits { ${deep} }`;
    const tooDeep = await graphql(`{ articles { ${deep.replace(/credits \{ name \}$/, 'credits { name }')} } }`);
    expect(tooDeep.body.errors?.length ?? 0).toBeGreaterThan(0);
    expect(tooDeep.status).toBeLessThan(500);
  });
});
