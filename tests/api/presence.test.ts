import { randomBytes } from 'node:crypto';
import { writeStory } from '../../src/importer/write-story';
import { parseStory } from '../../src/story';
import { adminLogin, asEditViewSends, json, type Json } from '../helpers/http';
import { startApp, TEST_ADMIN, type TestApp } from '../helpers/strapi';

/**
 * Presence and the edit lease, as the edit view uses them, for several admin users of one
 * instance (the cluster suite repeats this across two): who is here, who holds the lease, its
 * refresh, expiry and takeover, and its enforcement on every admin write.
 */
const EDITOR = { email: 'editor@news.test', password: 'Editor-pass-1234' };
const AUTHOR = { email: 'author@news.test', password: 'Author-pass-1234' };
const CM = '/content-manager/collection-types/api::article.article';
// Short lifetimes, so that expiry is seen as it happens, not simulated.
const LEASE_TTL = 6;
const PRESENCE_TTL = 4;

let app: TestApp;
const token: Record<'admin' | 'editor' | 'author', string> = { admin: '', editor: '', author: '' };
type Who = keyof typeof token;
const names: Record<Who, string> = { admin: '', editor: '', author: '' };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const session = () => randomBytes(12).toString('hex');

const login = (email: string, password: string) => adminLogin(app.baseUrl, email, password);

function admin(who: Who, path: string, init: { method?: string; body?: unknown } = {}) {
  return fetch(`${app.baseUrl}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${token[who]}`, 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
}

const beat = async (who: Who, documentId: string, tab: string, locale = 'en') => {
  const response = await admin(who, `/news-admin/articles/${documentId}/presence`, { method: 'POST', body: { locale, session: tab } });
  expect(response.status).toBe(200);
  return (await json(response)).data;
};
const claim = (who: Who, documentId: string, tab: string, takeover = false) =>
  admin(who, `/news-admin/articles/${documentId}/lease`, { method: 'POST', body: { locale: 'en', session: tab, takeover } });
const editView = async (documentId: string, who: Who = 'admin') => asEditViewSends((await json(await admin(who, `${CM}/${documentId}?locale=en`))).data, ['credits']);
const save = async (who: Who, documentId: string, change: Json) =>
  admin(who, `${CM}/${documentId}?locale=en`, { method: 'PUT', body: { ...(await editView(documentId, who)), ...change } });

/** A published story of its own for each test, created by the super-admin's request context. */
async function story(label: string): Promise<string> {
  const name = `${label} ${randomBytes(4).toString('hex')}`;
  const parsed = parseStory(`${name}\n\nLead caption for ${name}. Credit: AP\n\nFirst paragraph of ${name}.\n\nSecond paragraph.\n`, `presence_${name}.txt`);
  if (!parsed.ok) throw new Error(parsed.error.message);
  await writeStory(app.strapi, parsed.story, { locale: 'en', status: 'published', force: false });
  const found = (await app.strapi.db.query('api::article.article').findOne({ where: { importSource: parsed.story.source, locale: 'en' }, select: ['documentId'] })) as { documentId: string } | null;
  if (!found) throw new Error('story not written');
  return found.documentId;
}

beforeAll(async () => {
  app = await startApp({
    env: { EDITOR_EMAIL: EDITOR.email, EDITOR_PASSWORD: EDITOR.password, EDIT_LEASE_TTL: String(LEASE_TTL), EDIT_PRESENCE_TTL: String(PRESENCE_TTL) },
  });
  const role = (await app.strapi.db.query('admin::role').findOne({ where: { code: 'strapi-author' } })) as { id: number };
  await app.strapi.service('admin::user').create({ email: AUTHOR.email, firstname: 'Ann', lastname: 'Author', password: AUTHOR.password, roles: [role.id], isActive: true });
  token.admin = await login(TEST_ADMIN.email, TEST_ADMIN.password);
  token.editor = await login(EDITOR.email, EDITOR.password);
  token.author = await login(AUTHOR.email, AUTHOR.password);
  for (const who of ['admin', 'editor', 'author'] as const) {
    const me = (await json(await admin(who, '/admin/users/me'))).data;
    names[who] = me.username || [me.firstname, me.lastname].filter(Boolean).join(' ');
  }
  expect(new Set(Object.values(names)).size).toBe(3);
});
afterAll(async () => {
  await app?.stop();
});

describe('presence', () => {
  it('each sees the other named with the time they opened it; a goodbye removes at once; silence expires', async () => {
    const documentId = await story('Presence story');
    const [adminTab, editorTab] = [session(), session()];
    const opened = Date.now();
    const first = await beat('admin', documentId, adminTab);
    expect(first.others).toEqual([]);
    const editorView = await beat('editor', documentId, editorTab);
    expect(editorView.others.map((o: Json) => o.name)).toEqual([names.admin]);
    expect(Math.abs(Date.parse(editorView.others[0].since) - opened)).toBeLessThan(5000);
    const adminView = await beat('admin', documentId, adminTab);
    expect(adminView.others.map((o: Json) => o.name)).toEqual([names.editor]);
    // Another article: nobody there.
    expect((await beat('admin', await story('Elsewhere'), session())).others).toEqual([]);

    // A goodbye needs the tab's own token: a wrong one changes nothing.
    await beat('editor', documentId, editorTab); // fresh, whatever the pace of the steps above
    const wrong = await fetch(`${app.baseUrl}/news-admin/presence/leave?session=${editorTab}&token=${'0'.repeat(32)}`, { method: 'POST' });
    expect(wrong.status).toBe(204);
    expect((await beat('admin', documentId, adminTab)).others.map((o: Json) => o.name)).toEqual([names.editor]);
    const bye = await fetch(`${app.baseUrl}/news-admin/presence/leave?session=${editorTab}&token=${editorView.leaveToken}`, { method: 'POST' });
    expect(bye.status).toBe(204);
    expect((await beat('admin', documentId, adminTab)).others).toEqual([]);

    // A tab that stops beating (crashed, offline) drops out after the presence lifetime.
    await beat('editor', documentId, session());
    expect((await beat('admin', documentId, adminTab)).others).toHaveLength(1);
    await sleep((PRESENCE_TTL + 1) * 1000);
    expect((await beat('admin', documentId, adminTab)).others).toEqual([]);
  });

  it('refuses what is not an admin, a bad session, an unknown article', async () => {
    const documentId = await story('Presence hostile');
    expect((await fetch(`${app.baseUrl}/news-admin/articles/${documentId}/presence`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ locale: 'en', session: session() }) })).status).toBe(401);
    for (const body of [{ locale: 'en', session: 'x' }, { locale: 'en', session: '../../etc' }, { locale: 'en' }, { session: session() }, { locale: 'en', session: session(), extra: 1 }]) {
      expect((await admin('admin', `/news-admin/articles/${documentId}/presence`, { method: 'POST', body })).status).toBe(400);
    }
    expect((await admin('admin', `/news-admin/articles/nosuchdocument/presence`, { method: 'POST', body: { locale: 'en', session: session() } })).status).toBe(404);
    expect((await fetch(`${app.baseUrl}/news-admin/presence/leave?session=abc`, { method: 'POST' })).status).toBe(400);
    // The edit view's clock (a worker script, served from this origin for the admin's CSP).
    const clock = await fetch(`${app.baseUrl}/news-admin/presence/clock.js`);
    expect(clock.status).toBe(200);
    expect(clock.headers.get('content-type')).toMatch(/^application\/javascript/);
    expect(await clock.text()).toContain('postMessage');
    // The Author may not even read an article someone else created.
    expect((await admin('author', `/news-admin/articles/${documentId}/presence`, { method: 'POST', body: { locale: 'en', session: session() } })).status).toBe(403);
  });
});

describe('the edit lease', () => {
  it('the first to claim holds it; others are refused with the holder named; heartbeats keep it; silence frees it', async () => {
    const documentId = await story('Lease story');
    const [editorTab, adminTab] = [session(), session()];
    expect((await claim('editor', documentId, editorTab)).status).toBe(200);
    const refused = await claim('admin', documentId, adminTab);
    expect(refused.status).toBe(409);
    const body = await json(refused);
    expect(body.error.details.lease.name).toBe(names.editor);
    expect(body.error.message).toContain(names.editor);
    const seen = await beat('admin', documentId, adminTab);
    expect(seen.lease).toMatchObject({ name: names.editor, mine: false });
    expect(seen).toMatchObject({ mayEdit: true, version: expect.any(Number) });
    expect((await beat('editor', documentId, editorTab)).lease).toMatchObject({ name: names.editor, mine: true });

    // Beating for longer than the lease's lifetime keeps it.
    for (let elapsed = 0; elapsed < (LEASE_TTL + 2) * 1000; elapsed += 2000) {
      await beat('editor', documentId, editorTab);
      await sleep(2000);
    }
    expect((await claim('admin', documentId, adminTab)).status).toBe(409);

    // Silence: it expires, and the next claim gets it.
    await sleep((LEASE_TTL + 1) * 1000);
    expect((await beat('admin', documentId, adminTab)).lease).toBeNull();
    expect((await claim('admin', documentId, adminTab)).status).toBe(200);
    expect((await beat('admin', documentId, adminTab)).lease).toMatchObject({ name: names.admin, mine: true });
  });

  it('another tab of the same person takes the lease without a takeover; their own lease never refuses them', async () => {
    const documentId = await story('Two tabs');
    const [first, second] = [session(), session()];
    expect((await claim('editor', documentId, first)).status).toBe(200);
    expect((await claim('editor', documentId, second)).status).toBe(200);
    expect(await beat('editor', documentId, first)).toMatchObject({ lease: { mine: false, name: names.editor }, takenOver: null });
    // A save from the first tab is checked by its version, as before, not by the lease.
    expect((await save('editor', documentId, { standfirst: 'From the first tab' })).status).toBe(200);
  });

  it('while the editor holds it, the admin’s save, publish, unpublish, discard, restore and delete are refused with 409 naming the editor; the editor’s own save passes', async () => {
    const documentId = await story('Enforced story');
    // A revision to restore, and a draft that differs from the published version (for discard).
    expect((await admin('admin', `${CM}/${documentId}/actions/publish?locale=en`, { method: 'POST', body: await editView(documentId) })).status).toBe(200);
    const [revision] = (await json(await admin('admin', `/news-admin/articles/${documentId}/revisions?locale=en`))).data;
    expect((await save('admin', documentId, { standfirst: 'Draft change before the lease' })).status).toBe(200);

    const editorTab = session();
    expect((await claim('editor', documentId, editorTab)).status).toBe(200);
    const before = await editView(documentId);
    const attempts: Array<[string, () => Promise<Response>]> = [
      ['save', () => save('admin', documentId, { headline: 'Admin overwrites' })],
      ['publish', async () => admin('admin', `${CM}/${documentId}/actions/publish?locale=en`, { method: 'POST', body: await editView(documentId) })],
      ['unpublish', () => admin('admin', `${CM}/${documentId}/actions/unpublish?locale=en`, { method: 'POST', body: {} })],
      ['discard', () => admin('admin', `${CM}/${documentId}/actions/discard?locale=en`, { method: 'POST', body: {} })],
      ['restore', () => admin('admin', `/news-admin/articles/${documentId}/revisions/${revision.id}/restore`, { method: 'POST', body: { version: before.version } })],
      ['delete', () => admin('admin', `${CM}/${documentId}?locale=en`, { method: 'DELETE' })],
      // The list's bulk actions, with the locales as the admin sends several: an array.
      ['bulk publish', () => admin('admin', `${CM}/actions/bulkPublish`, { method: 'POST', body: { documentIds: [documentId], locale: ['en'] } })],
      ['bulk unpublish', () => admin('admin', `${CM}/actions/bulkUnpublish`, { method: 'POST', body: { documentIds: [documentId], locale: ['en'] } })],
      ['bulk delete', () => admin('admin', `${CM}/actions/bulkDelete`, { method: 'POST', body: { documentIds: [documentId], locale: 'en' } })],
    ];
    for (const [label, attempt] of attempts) {
      await claim('editor', documentId, editorTab); // keeps it live whatever the test's pace
      const response = await attempt();
      const body = await json(response);
      expect([label, response.status]).toEqual([label, 409]);
      expect(body.error.message).toContain(names.editor);
    }
    const after = await editView(documentId);
    expect(after.headline).toBe(before.headline);
    expect(after.standfirst).toBe('Draft change before the lease');
    expect(after.version).toBe(before.version);
    const published = await json(await fetch(`${app.baseUrl}/api/articles/${documentId}`));
    expect(published.data.documentId).toBe(documentId);

    expect((await save('editor', documentId, { headline: 'The holder saves' })).status).toBe(200);
    expect((await editView(documentId)).headline).toBe('The holder saves');
    // Writes that are not an admin's (the importer, the scheduler, API tokens) are not leased.
    expect((await claim('admin', documentId, session())).status).toBe(409); // the editor's lease is live
    await app.strapi.documents('api::article.article').update({ documentId, locale: 'en', data: { standfirst: 'Written by the service' } } as never);
    expect((await editView(documentId)).standfirst).toBe('Written by the service');
  });

  it('takeover: the previous holder is told on their next beat, and their next save is a 409 whose text is kept in the revisions', async () => {
    const documentId = await story('Takeover story');
    const [adminTab, editorTab] = [session(), session()];
    expect((await claim('admin', documentId, adminTab)).status).toBe(200);
    const adminsView = await editView(documentId, 'admin'); // the form the admin keeps typing in
    expect((await claim('editor', documentId, editorTab)).status).toBe(409);
    const taken = await claim('editor', documentId, editorTab, true);
    expect(taken.status).toBe(200);
    expect((await json(taken)).data.lease).toMatchObject({ name: names.editor, mine: true });

    const told = await beat('admin', documentId, adminTab);
    expect(told.takenOver).toMatchObject({ by: names.editor });
    expect(told.lease).toMatchObject({ name: names.editor, mine: false });
    expect((await beat('editor', documentId, editorTab)).takenOver).toBeNull();

    const stale = await admin('admin', `${CM}/${documentId}?locale=en`, { method: 'PUT', body: { ...adminsView, headline: 'The admin’s unsaved headline' } });
    expect(stale.status).toBe(409);
    expect((await json(stale)).error.message).toMatch(new RegExp(`${names.editor}.*kept in the article’s revisions`));
    const revisions = (await json(await admin('editor', `/news-admin/articles/${documentId}/revisions`))).data as Json[];
    expect(revisions.find((r) => r.kind === 'conflict')?.headline).toBe('The admin’s unsaved headline');
    expect((await editView(documentId)).headline).not.toBe('The admin’s unsaved headline');
  });

  it('who may take over: editors and super-admins any article, authors only their own', async () => {
    const others = await story('Not the author’s');
    const holderTab = session();
    expect((await claim('admin', others, holderTab)).status).toBe(200);
    const refused = await claim('author', others, session(), true);
    expect(refused.status).toBe(403);
    // (The Author may not even read it: no beat either, so no Take over to show.)
    expect((await beat('admin', others, holderTab)).lease).toMatchObject({ mine: true });

    const created = await json(await admin('author', `${CM}?locale=en`, { method: 'POST', body: { headline: `The author’s own ${randomBytes(3).toString('hex')}` } }));
    const own = created.data.documentId as string;
    expect((await claim('editor', own, session())).status).toBe(200);
    const authorTab = session();
    expect((await claim('author', own, authorTab)).status).toBe(409);
    expect((await claim('author', own, authorTab, true)).status).toBe(200);
    // A super-admin takes it back.
    expect((await claim('admin', own, session(), true)).status).toBe(200);
    expect((await beat('author', own, authorTab)).takenOver).toMatchObject({ by: names.admin });
  });
});

describe('restoring a revision', () => {
  it('carries the version it replaces (a save in between is a 409) and keeps the figures’ photographer and copyright', async () => {
    const documentId = await story('Restore story');
    const view = await editView(documentId);
    const lead = { ...view.lead, photographer: 'Jane Doe', copyright: '© 2026 AP' };
    expect((await save('admin', documentId, { lead })).status).toBe(200);
    expect((await admin('admin', `${CM}/${documentId}/actions/publish?locale=en`, { method: 'POST', body: await editView(documentId) })).status).toBe(200);
    const [revision] = (await json(await admin('admin', `/news-admin/articles/${documentId}/revisions?locale=en`))).data;
    expect((await save('admin', documentId, { headline: 'Changed after the publish', lead: { ...lead, photographer: null, copyright: null } })).status).toBe(200);

    const path = `/news-admin/articles/${documentId}/revisions/${revision.id}/restore`;
    expect((await admin('admin', path, { method: 'POST', body: {} })).status).toBe(400);
    const current = await editView(documentId);
    const stale = await admin('admin', path, { method: 'POST', body: { version: current.version - 1 } });
    expect(stale.status).toBe(409);
    expect((await editView(documentId)).headline).toBe('Changed after the publish');

    expect((await admin('admin', path, { method: 'POST', body: { version: current.version } })).status).toBe(200);
    const restored = await editView(documentId);
    expect(restored.headline).not.toBe('Changed after the publish');
    expect(restored.lead).toMatchObject({ photographer: 'Jane Doe', copyright: '© 2026 AP' });
  });

  it('a revision from before photographers were kept leaves the draft’s photographer and copyright as they are', async () => {
    const documentId = await story('Old revision');
    const [revision] = (await json(await admin('admin', `/news-admin/articles/${documentId}/revisions?locale=en`))).data;
    // As such a revision was stored: its figures without the two fields.
    const row = (await app.strapi.db.connection('article_revisions').where({ id: revision.id }).first()) as { snapshot: Json };
    const snapshot = typeof row.snapshot === 'string' ? JSON.parse(row.snapshot) : row.snapshot;
    delete snapshot.lead.photographer;
    delete snapshot.lead.copyright;
    await app.strapi.db.connection('article_revisions').where({ id: revision.id }).update({ snapshot: JSON.stringify(snapshot) });
    const view = await editView(documentId);
    expect((await save('admin', documentId, { headline: 'Later headline', lead: { ...view.lead, photographer: 'Kept Photographer', copyright: '© Kept' } })).status).toBe(200);
    const restore = await admin('admin', `/news-admin/articles/${documentId}/revisions/${revision.id}/restore`, { method: 'POST', body: { version: (await editView(documentId)).version } });
    expect(restore.status).toBe(200);
    const restored = await editView(documentId);
    expect(restored.headline).not.toBe('Later headline');
    expect(restored.lead).toMatchObject({ photographer: 'Kept Photographer', copyright: '© Kept' });
  });
});
