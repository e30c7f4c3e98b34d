import { json, type Json } from '../helpers/http';
import { publishStory } from '../helpers/stories';
import { startApp, TEST_ADMIN, type TestApp } from '../helpers/strapi';

/**
 * Scheduled publishing on one instance (the several-instance cases are in tests/cluster): a
 * draft saved with a future publishAt is published at that time, as an editor's Publish is;
 * changing the time reschedules, clearing it cancels; unpublishAt takes it down; a job that keeps
 * failing ends as a failure the editor sees on the article.
 */
const ARTICLE = 'api::article.article';
const CM = '/content-manager/collection-types/api::article.article';
let app: TestApp;
let token: string;

beforeAll(async () => {
  app = await startApp({ env: { SCHEDULE_RETRY_LIMIT: '1', SCHEDULE_RETRY_DELAY: '1', SCHEDULE_JOB_TIMEOUT: '10' } });
  const login = await json(await fetch(`${app.baseUrl}/admin/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(TEST_ADMIN) }));
  token = login.data.token;
});
afterAll(async () => {
  await app?.stop();
});

const admin = async (method: string, path: string, body?: unknown) => {
  const response = await fetch(`${app.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json().catch(() => null)) as Json };
};

/** A new draft-only article, saved through the admin as an editor saves it. */
async function draft(headline: string, extra: Record<string, unknown> = {}): Promise<string> {
  const created = await admin('POST', `${CM}?locale=en`, { headline, ...extra });
  expect(created.status).toBe(201);
  return created.body.data.documentId as string;
}

async function save(documentId: string, data: Record<string, unknown>): Promise<void> {
  const current = await admin('GET', `${CM}/${documentId}?locale=en`);
  const saved = await admin('PUT', `${CM}/${documentId}?locale=en`, { ...data, version: current.body.data.version });
  expect([saved.status, JSON.stringify(saved.body.error ?? null)]).toEqual([200, 'null']);
}

const publicStatus = async (documentId: string) => (await fetch(`${app.baseUrl}/api/articles/${documentId}`)).status;
const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString();
const publishRevisions = async (documentId: string) =>
  (await app.strapi.db.query('api::article-revision.article-revision').count({ where: { articleDocumentId: documentId, kind: 'publish' } })) as number;

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('scheduled publishing', () => {
  it('a draft saved with a future publishAt is published at that time (within 2 s), once, as an editor would', async () => {
    const documentId = await draft('Embargoed until the minute');
    const due = inSeconds(3);
    await save(documentId, { publishAt: due });
    expect(await publicStatus(documentId)).toBe(404);
    const seen = await until(async () => ((await publicStatus(documentId)) === 200 ? Date.now() : undefined), 15_000, 'the publish');
    expect(seen - new Date(due).getTime()).toBeLessThan(2000);
    expect(seen).toBeGreaterThanOrEqual(new Date(due).getTime() - 50);
    const article = await json(await fetch(`${app.baseUrl}/api/articles/${documentId}`));
    expect(article.data.headline).toBe('Embargoed until the minute');
    expect(article.data.publishAt).toBeUndefined(); // private: not in the public answer
    expect(await publishRevisions(documentId)).toBe(1);
    // Done: the time is cleared on the draft, so a later save does not publish it again.
    const view = await admin('GET', `${CM}/${documentId}?locale=en`);
    expect(view.body.data.publishAt).toBeNull();
  });

  it('the latest saved draft is what is published', async () => {
    const documentId = await draft('First draft text');
    await save(documentId, { publishAt: inSeconds(3) });
    await save(documentId, { headline: 'Second, later draft text' });
    await until(async () => ((await publicStatus(documentId)) === 200 ? true : undefined), 15_000, 'the publish');
    expect((await json(await fetch(`${app.baseUrl}/api/articles/${documentId}`))).data.headline).toBe('Second, later draft text');
  });

  it('changing the time reschedules (the old time does nothing); clearing it cancels', async () => {
    // The first times lie far enough ahead that the second saves are in before them on two busy
    // cores (at 2 s, a slow save lost the race to the old job: a 409, not a reschedule).
    const firstTime = Date.now() + 8000;
    const moved = await draft('Moved to later');
    const cancelled = await draft('Called off');
    await save(moved, { publishAt: new Date(firstTime).toISOString() });
    await save(cancelled, { publishAt: new Date(firstTime).toISOString() });
    await save(moved, { publishAt: new Date(firstTime + 3000).toISOString() });
    await save(cancelled, { publishAt: null });
    expect(Date.now()).toBeLessThan(firstTime); // the reschedules were saved before the old time
    await new Promise((r) => setTimeout(r, firstTime + 1500 - Date.now()));
    expect(await publicStatus(moved)).toBe(404); // not at the old time
    await until(async () => ((await publicStatus(moved)) === 200 ? true : undefined), 8000, 'the rescheduled publish');
    expect(await publicStatus(cancelled)).toBe(404);
    expect(await publishRevisions(moved)).toBe(1);
    const jobs = await app.strapi.db.connection('article_schedules').whereIn('document_id', [moved, cancelled]);
    expect(jobs).toEqual([]);
  });

  it('unpublishAt takes the article down at that time', async () => {
    await publishStory(app.strapi, 'Licence ends soon\n\nA story we may show until tonight.\n', 'sched_licence.txt');
    const documentId = (await json(await fetch(`${app.baseUrl}/api/articles?filters[slug][$eq]=licence-ends-soon`))).data[0].documentId as string;
    await save(documentId, { unpublishAt: inSeconds(3) });
    expect(await publicStatus(documentId)).toBe(200);
    await until(async () => ((await publicStatus(documentId)) === 404 ? true : undefined), 8000, 'the article gone');
    // Unpublished, not only hidden: its published row goes (within the same 2 s).
    const unpublished = async () => ((await app.strapi.db.query(ARTICLE).count({ where: { documentId, publishedAt: { $notNull: true } } })) === 0 ? true : undefined);
    await until(unpublished, 2000, 'the unpublish');
  });

  it('a job that keeps failing ends as a failure the editor sees on the article', async () => {
    const documentId = await draft('Will not publish');
    // A draft that cannot be published (its required headline gone behind the editor's back).
    await save(documentId, { publishAt: inSeconds(2) });
    await app.strapi.db.connection('articles').where({ document_id: documentId, published_at: null }).update({ headline: null });
    const error = await until(
      async () => {
        const view = await admin('GET', `${CM}/${documentId}?locale=en`);
        const message = view.body.data.scheduleError as string | null;
        return message && /given up/.test(message) ? message : undefined;
      },
      30_000,
      'the failure on the article'
    );
    expect(error).toMatch(/Scheduled publish for .* FAILED and was given up after 2 attempts/);
    expect(await publicStatus(documentId)).toBe(404);
  });
});
