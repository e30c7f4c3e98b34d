import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminLogin } from '../helpers/http';
import { ADMIN, createDatabase, dropDatabase, runCli, startInstance, type Instance } from '../../scripts/lib/instances';

/**
 * Presence and the edit lease across two instances on one database: what one person does on
 * instance A is what the other sees, and is refused, on instance B (and back), with nothing
 * shared but PostgreSQL.
 */
const SERVER = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const EDITOR = { email: 'editor@news.test', password: 'Editor-pass-1234' };
const LEASE_TTL = 6;
const PRESENCE_TTL = 4;
const CM = '/content-manager/collection-types/api::article.article';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const session = () => randomBytes(12).toString('hex');

let databaseUrl: string;
let dir: string;
let a: Instance;
let b: Instance;
const token = { admin: '', editor: '' };
type Who = keyof typeof token;
let documentId: string;
let imported: string;

async function call(who: Who, on: Instance, method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const response = await fetch(`${on.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token[who]}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json().catch(() => null) };
}
const beat = async (who: Who, on: Instance, tab: string) => {
  const result = await call(who, on, 'POST', `/news-admin/articles/${documentId}/presence`, { locale: 'en', session: tab });
  expect(result.status).toBe(200);
  return result.body.data;
};
const claim = (who: Who, on: Instance, tab: string, takeover = false) => call(who, on, 'POST', `/news-admin/articles/${documentId}/lease`, { locale: 'en', session: tab, takeover });
const view = async (who: Who, on: Instance) => {
  const data = (await call(who, on, 'GET', `${CM}/${documentId}?locale=en`)).body.data;
  for (const key of ['id', 'documentId', 'createdAt', 'updatedAt', 'publishedAt', 'createdBy', 'updatedBy', 'status', 'localizations', 'locale', 'credits']) delete data[key];
  if (data.lead) delete data.lead.credit;
  data.body = (data.body ?? []).map((block: Json) => {
    if (block.__component === 'media.figure') delete block.credit;
    return block;
  });
  return data;
};

/** Each test's own article, made through the admin on A. */
async function article(label: string): Promise<string> {
  const created = await call('admin', a, 'POST', `${CM}?locale=en`, { headline: `${label} ${randomBytes(3).toString('hex')}`, standfirst: 'Made for one test.' });
  expect(created.status).toBe(201);
  return created.body.data.documentId;
}

beforeAll(async () => {
  databaseUrl = await createDatabase(SERVER, 'news_presence');
  dir = mkdtempSync(join(tmpdir(), 'news-presence-'));
  const env = {
    DATABASE_URL: databaseUrl,
    REDIS_URL: '',
    PUBLIC_URL: 'http://news.test',
    EDITOR_EMAIL: EDITOR.email,
    EDITOR_PASSWORD: EDITOR.password,
    EDIT_LEASE_TTL: String(LEASE_TTL),
    EDIT_PRESENCE_TTL: String(PRESENCE_TTL),
  };
  const port = 6100 + (process.pid % 100) * 2;
  [a, b] = await Promise.all([startInstance(port, env), startInstance(port + 1, env)]);
  // An imported story too: the writes below include its figures and credit.
  writeFileSync(join(dir, 'presence_story.txt'), 'Two editors, one story\n\nA desk at night. Credit: AP\n\nThe first paragraph.\n\nThe second paragraph.\n');
  expect((await runCli(['import', join(dir, 'presence_story.txt')], { DATABASE_URL: databaseUrl })).code).toBe(0);
  const list = (await (await fetch(`${a.baseUrl}/api/articles`)).json()) as { data: Array<{ documentId: string }> };
  imported = list.data[0].documentId;
  token.admin = await adminLogin(a.baseUrl, ADMIN.email, ADMIN.password);
  token.editor = await adminLogin(b.baseUrl, EDITOR.email, EDITOR.password);
}, 180_000);

afterAll(async () => {
  await Promise.all([a?.stop('SIGTERM', 20_000), b?.stop('SIGTERM', 20_000)]);
  if (databaseUrl) await dropDatabase(databaseUrl);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('presence and the edit lease on two instances', () => {
  it('someone on A and someone on B see each other; a goodbye on B is seen on A; silence on B expires on A', async () => {
    documentId = await article('Presence');
    const [adminTab, editorTab] = [session(), session()];
    await beat('admin', a, adminTab);
    const editorView = await beat('editor', b, editorTab);
    expect(editorView.others.map((o: Json) => o.name)).toEqual(['Admin Newsroom']);
    expect((await beat('admin', a, adminTab)).others.map((o: Json) => o.name)).toEqual(['Editor Newsroom']);
    const bye = await fetch(`${b.baseUrl}/news-admin/presence/leave?session=${editorTab}&token=${editorView.leaveToken}`, { method: 'POST' });
    expect(bye.status).toBe(204);
    expect((await beat('admin', a, adminTab)).others).toEqual([]);
    await beat('editor', b, session());
    expect((await beat('admin', a, adminTab)).others).toHaveLength(1);
    await sleep((PRESENCE_TTL + 1) * 1000);
    expect((await beat('admin', a, adminTab)).others).toEqual([]);
  });

  it('a lease taken on B refuses claims and writes on A, naming its holder; heartbeats on B keep it; silence frees it for A', async () => {
    documentId = imported;
    const [adminTab, editorTab] = [session(), session()];
    expect((await claim('editor', b, editorTab)).status).toBe(200);
    const refused = await claim('admin', a, adminTab);
    expect(refused.status).toBe(409);
    expect(refused.body.error.details.lease.name).toBe('Editor Newsroom');
    const before = await view('admin', a);
    // Each write right after the holder's beat on B: the short lease is live whatever the pace.
    await beat('editor', b, editorTab);
    const save = await call('admin', a, 'PUT', `${CM}/${documentId}?locale=en`, { ...before, headline: 'Written on A over the lease' });
    expect(save.status).toBe(409);
    expect(save.body.error.message).toContain('Editor Newsroom');
    await beat('editor', b, editorTab);
    const publish = await call('admin', a, 'POST', `${CM}/${documentId}/actions/publish?locale=en`, before);
    expect(publish.status).toBe(409);
    expect((await view('admin', b)).headline).toBe(before.headline);

    for (let elapsed = 0; elapsed < (LEASE_TTL + 2) * 1000; elapsed += 2000) {
      await beat('editor', b, editorTab);
      await sleep(2000);
    }
    expect((await claim('admin', a, adminTab)).status).toBe(409);
    await sleep((LEASE_TTL + 1) * 1000);
    expect((await claim('admin', a, adminTab)).status).toBe(200);
    expect((await beat('editor', b, editorTab)).lease).toMatchObject({ name: 'Admin Newsroom', mine: false });
  });

  it('a takeover on A is told to the holder on B at its next beat, and the holder’s save on B is refused and kept', async () => {
    documentId = await article('Takeover');
    const [adminTab, editorTab] = [session(), session()];
    expect((await claim('editor', b, editorTab)).status).toBe(200);
    const editorsForm = await view('editor', b);
    expect((await claim('admin', a, adminTab, true)).status).toBe(200);
    expect((await beat('editor', b, editorTab)).takenOver).toMatchObject({ by: 'Admin Newsroom' });
    const refused = await call('editor', b, 'PUT', `${CM}/${documentId}?locale=en`, { ...editorsForm, headline: 'The editor’s unsaved text' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain('Admin Newsroom');
    const revisions = (await call('admin', a, 'GET', `/news-admin/articles/${documentId}/revisions`)).body.data as Json[];
    expect(revisions.some((r) => r.kind === 'conflict' && r.headline === 'The editor’s unsaved text')).toBe(true);
    const saved = await call('admin', a, 'PUT', `${CM}/${documentId}?locale=en`, { ...(await view('admin', a)), headline: 'The holder saves on A' });
    expect(saved.status).toBe(200);
    expect((await view('editor', b)).headline).toBe('The holder saves on A');
  });
});
