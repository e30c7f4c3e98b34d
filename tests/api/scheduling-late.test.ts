import { json } from '../helpers/http';
import { publishStory } from '../helpers/stories';
import { startApp, type TestApp } from '../helpers/strapi';

/**
 * An article whose unpublishAt has passed is not served even when the job that unpublishes it
 * is late: this instance runs no jobs (SCHEDULE_WORKERS=false), so only the read side holds it
 * back, on every path, cached answers included.
 */
const ARTICLE = 'api::article.article';

describe('an unpublishAt that passed while its job is late', () => {
  let late: TestApp;
  beforeAll(async () => {
    late = await startApp({ env: { SCHEDULE_WORKERS: 'false' } });
  });
  afterAll(async () => {
    await late?.stop();
  });

  it('is not served: not by id, by slug, in lists, in GraphQL, formats, or from the cache', async () => {
    await publishStory(late.strapi, 'Expiring wire story\n\nShown until its licence ends.\n', 'sched_expiring.txt');
    const list = await json(await fetch(`${late.baseUrl}/api/articles`));
    const { documentId, slug } = list.data[0] as { documentId: string; slug: string };
    const paths = [`/api/articles/${documentId}`, `/api/articles?filters[slug][$eq]=${slug}`, '/api/articles', `/api/articles/${documentId}/jsonld`, `/news/${slug}`];
    const unpublishAt = new Date(Date.now() + 2500);
    await late.strapi.documents(ARTICLE).update({ documentId, locale: 'en', data: { unpublishAt } } as never);
    for (const path of paths) {
      await fetch(`${late.baseUrl}${path}`); // cached now (for no longer than the unpublishAt)
      const cached = await fetch(`${late.baseUrl}${path}`);
      expect([path, cached.status]).toEqual([path, 200]);
      expect(cached.headers.get('surrogate-control')).toMatch(/^max-age=[0-2]$/);
    }
    await new Promise((r) => setTimeout(r, Math.max(0, unpublishAt.getTime() - Date.now()) + 300));
    expect((await fetch(`${late.baseUrl}/api/articles/${documentId}`)).status).toBe(404);
    expect((await fetch(`${late.baseUrl}/api/articles/${documentId}/jsonld`)).status).toBe(404);
    expect((await fetch(`${late.baseUrl}/news/${slug}`)).status).toBe(404);
    expect((await json(await fetch(`${late.baseUrl}/api/articles?filters[slug][$eq]=${slug}`))).data).toEqual([]);
    expect(JSON.stringify(await json(await fetch(`${late.baseUrl}/api/articles`)))).not.toContain(documentId);
    const graphql = await json(
      await fetch(`${late.baseUrl}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: `{ article(documentId: "${documentId}") { headline } }` }) })
    );
    expect(graphql.data.article).toBeNull();
    // Still published in the database: only the read side holds it back, until the job runs.
    const rows = (await late.strapi.db.query(ARTICLE).findMany({ where: { documentId, publishedAt: { $notNull: true } } })) as unknown[];
    expect(rows).toHaveLength(1);
  });
});
