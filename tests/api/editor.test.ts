import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeStory } from '../../src/importer/write-story';
import { parseStory } from '../../src/story';
import { sql } from '../helpers/database';
import { adminLogin, asEditViewSends, json, type Json } from '../helpers/http';
import { signPreview } from '../../src/reader/preview-links';
import { startApp, type TestApp } from '../helpers/strapi';

const EDITOR = { email: 'editor@news.test', password: 'Editor-pass-1234' };
const CM = '/content-manager/collection-types/api::article.article';
let app: TestApp;
let receiver: Server;
const received: Array<{ event: string; body: Json }> = [];
let editorToken: string;
let documentId: string;

const login = (email: string, password: string) => adminLogin(app.baseUrl, email, password);

function admin(path: string, init: { method?: string; body?: unknown; token?: string } = {}) {
  return fetch(`${app.baseUrl}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${init.token ?? editorToken}`, 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
}

const publicArticle = async () => (await json(await fetch(`${app.baseUrl}/api/articles/${documentId}`))).data;
/**
 * The edit view's values as the admin sends them on save: without the system fields it strips,
 * relations untouched (the admin sends connect/disconnect only for what changed).
 */
const editView = async () => asEditViewSends((await json(await admin(`${CM}/${documentId}?locale=en`))).data, ['credits']);

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      received.push({ event: String(req.headers['x-strapi-event'] ?? ''), body: JSON.parse(text || 'null') });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const port = (receiver.address() as AddressInfo).port;
  app = await startApp({
    env: { EDITOR_EMAIL: EDITOR.email, EDITOR_PASSWORD: EDITOR.password, WEBHOOK_URL: `http://127.0.0.1:${port}/hook` },
  });
  const parsed = parseStory('Original wire headline\n\nLead caption. Credit: AP\n\nFirst paragraph.\n\nSecond paragraph.\n', 'editor_story.txt');
  if (!parsed.ok) throw new Error(parsed.error.message);
  await writeStory(app.strapi, parsed.story, { locale: 'en', status: 'published', force: false });
  const [row] = await sql<{ document_id: string }>(app.databaseUrl, `SELECT document_id FROM articles LIMIT 1`);
  documentId = row.document_id;
  editorToken = await login(EDITOR.email, EDITOR.password);
});
afterAll(async () => {
  await app?.stop();
  receiver?.close();
});

describe('the editor account', () => {
  it('has the Editor role, can read and edit articles, cannot manage settings or roles', async () => {
    const me = await json(await admin('/admin/users/me'));
    expect(me.data.roles.map((r: { code: string }) => r.code)).toEqual(['strapi-editor']);
    expect((await admin(`${CM}/${documentId}?locale=en`)).status).toBe(200);
    expect((await admin('/admin/roles')).status).toBe(403);
    expect((await admin('/admin/users', { method: 'POST', body: { email: 'x@y.z', firstname: 'x', roles: [1] } })).status).toBe(403);
    expect((await admin('/content-type-builder/content-types', { method: 'POST', body: {} })).status).toBe(403);
  });

  it('can create a credit', async () => {
    const response = await admin('/content-manager/collection-types/api::image-credit.image-credit', { method: 'POST', body: { name: 'Editor Agency' } });
    expect(response.status).toBe(201);
  });
});

describe('saving and publishing', () => {
  it('a save keeps a draft: the public sees the published text until Publish', async () => {
    const view = await editView();
    expect(typeof view.version).toBe('number');
    const save = await admin(`${CM}/${documentId}?locale=en`, {
      method: 'PUT',
      body: { ...view, headline: 'Edited headline', lead: { ...view.lead, caption: 'Edited caption' } },
    });
    expect(save.status).toBe(200);
    expect((await publicArticle()).headline).toBe('Original wire headline');
    const publish = await admin(`${CM}/${documentId}/actions/publish?locale=en`, { method: 'POST', body: await editView() });
    expect(publish.status).toBe(200);
    const after = await publicArticle();
    expect(after.headline).toBe('Edited headline');
    expect(after.lead.caption).toBe('Edited caption');
  });

  it('firstPublishDate survives admin saves and republishing', async () => {
    const first = (await publicArticle()).firstPublishDate;
    expect(first).toBeTruthy();
    const view = await editView();
    expect((await admin(`${CM}/${documentId}?locale=en`, { method: 'PUT', body: { ...view, standfirst: 'Kept date' } })).status).toBe(200);
    expect((await editView()).firstPublishDate).toBe(first);
    await admin(`${CM}/${documentId}/actions/publish?locale=en`, { method: 'POST', body: await editView() });
    expect((await publicArticle()).firstPublishDate).toBe(first);
  });

  it('a stale save is refused with 409 and a message; the loser’s text is kept as a revision', async () => {
    const first = await editView();
    const second = await editView();
    const ok = await admin(`${CM}/${documentId}?locale=en`, { method: 'PUT', body: { ...first, headline: 'Winner headline' } });
    expect(ok.status).toBe(200);
    const stale = await admin(`${CM}/${documentId}?locale=en`, { method: 'PUT', body: { ...second, headline: 'Loser headline' } });
    expect(stale.status).toBe(409);
    expect((await json(stale)).error.message).toMatch(/someone else saved this article/);
    expect((await editView()).headline).toBe('Winner headline');
    const revisions = await json(await admin(`/news-admin/articles/${documentId}/revisions`));
    const conflict = revisions.data.find((r: { kind: string }) => r.kind === 'conflict');
    expect(conflict.headline).toBe('Loser headline');
  });

  it('two saves sent at the same moment from the same version: one is saved, the other refused with 409 (10 of 10 trials)', async () => {
    for (let trial = 1; trial <= 10; trial += 1) {
      const view = await editView();
      const [a, b] = await Promise.all([
        admin(`${CM}/${documentId}?locale=en`, { method: 'PUT', body: { ...view, headline: `Concurrent A ${trial}` } }),
        admin(`${CM}/${documentId}?locale=en`, { method: 'PUT', body: { ...view, headline: `Concurrent B ${trial}` } }),
      ]);
      expect([a.status, b.status].sort()).toEqual([200, 409]);
      const after = await editView();
      expect(after.version).toBe(view.version + 1);
      const winner = a.status === 200 ? `Concurrent A ${trial}` : `Concurrent B ${trial}`;
      expect(after.headline).toBe(winner);
    }
  });

  it.each([
    ['an empty headline', { headline: '' }, 'headline'],
    ['a headline over 300 characters', { headline: 'x'.repeat(301) }, 'headline'],
  ])('%s is refused with the field named, and nothing changes', async (_label, change, field) => {
    const view = await editView();
    const response = await admin(`${CM}/${documentId}?locale=en`, { method: 'PUT', body: { ...view, ...change } });
    expect(response.status).toBe(400);
    const body = await json(response);
    expect(JSON.stringify(body.error)).toContain(field);
    expect((await editView()).headline).toBe(view.headline);
  });

  it('a caption over 1,000 characters is refused with the field named', async () => {
    const view = await editView();
    const response = await admin(`${CM}/${documentId}?locale=en`, { method: 'PUT', body: { ...view, lead: { ...view.lead, caption: 'c'.repeat(1001) } } });
    expect(response.status).toBe(400);
    expect(JSON.stringify((await json(response)).error)).toContain('caption');
    expect((await editView()).lead.caption).toBe(view.lead.caption);
  });

  it('a headline of 300 characters that are not all in the BMP is accepted', async () => {
    const view = await editView();
    const response = await admin(`${CM}/${documentId}?locale=en`, { method: 'PUT', body: { ...view, headline: '𠀀'.repeat(300) } });
    expect(response.status).toBe(200);
    await admin(`${CM}/${documentId}?locale=en`, { method: 'PUT', body: { ...(await editView()), headline: 'Winner headline' } });
  });
});

describe('revision history', () => {
  it('every publish stores a revision; diff and restore work; restore makes a draft only', async () => {
    await admin(`${CM}/${documentId}/actions/publish?locale=en`, { method: 'POST', body: { ...(await editView()), headline: 'Second published headline' } });
    const list = (await json(await admin(`/news-admin/articles/${documentId}/revisions?locale=en`))).data as Array<{ id: number; kind: string; headline: string; author: string | null }>;
    const published = list.filter((r) => r.kind === 'publish');
    expect(published.length).toBeGreaterThanOrEqual(3);
    const oldest = published[published.length - 1];
    const newest = published[0];
    expect(oldest.headline).toBe('Original wire headline');
    expect(newest.headline).toBe('Second published headline');
    expect(newest.author).toMatch(/Editor/);

    const diff = await json(await admin(`/news-admin/articles/${documentId}/revisions/diff?from=${oldest.id}&to=${newest.id}`));
    expect(diff.data.text).toContain('- Headline: Original wire headline');
    expect(diff.data.text).toContain('+ Headline: Second published headline');
    expect(diff.data.text).toContain('+ Lead photo: Edited caption (Credit: AP)');

    const restore = await admin(`/news-admin/articles/${documentId}/revisions/${oldest.id}/restore`, { method: 'POST', body: { version: (await editView()).version } });
    expect(restore.status).toBe(200);
    expect((await editView()).headline).toBe('Original wire headline');
    expect((await publicArticle()).headline).toBe('Second published headline');
  });

  it('restoring a revision of another article, or one that does not exist, answers 404 and changes nothing', async () => {
    const list = (await json(await admin(`/news-admin/articles/${documentId}/revisions`))).data as Array<{ id: number }>;
    const before = (await editView()).headline;
    expect((await admin(`/news-admin/articles/someotherdocument/revisions/${list[0].id}/restore`, { method: 'POST' })).status).toBe(404);
    expect((await admin(`/news-admin/articles/${documentId}/revisions/999999/restore`, { method: 'POST' })).status).toBe(404);
    expect((await admin(`/news-admin/articles/${documentId}/revisions/abc/restore`, { method: 'POST' })).status).toBe(404);
    expect((await editView()).headline).toBe(before);
  });

  it('revisions are admin-only and immutable', async () => {
    expect((await fetch(`${app.baseUrl}/news-admin/articles/${documentId}/revisions`)).status).toBe(401);
    expect((await fetch(`${app.baseUrl}/api/article-revisions`)).status).toBe(404);
  });
});

describe('preview and reader page', () => {
  it('the reader page shows the published article with accessible markup and JSON-LD', async () => {
    const published = await publicArticle();
    const response = await fetch(`${app.baseUrl}/news/${published.slug}`);
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain(`<h1>${published.headline}</h1>`);
    expect(html).toMatch(/<figure class="lead"><figcaption>Edited caption <span class="credit">Credit: AP<\/span><\/figcaption><\/figure>/);
    expect(html).toContain('<script type="application/ld+json">');
    expect((await fetch(`${app.baseUrl}/news/no-such-story`)).status).toBe(404);
  });

  it('the Preview button gives a signed link for that document; it opens the draft, and nothing else', async () => {
    const draft = await editView();
    const issued = await json(await admin(`/content-manager/preview/url/api::article.article?documentId=${documentId}&locale=en&status=draft`));
    const link = new URL(issued.data.url);
    expect(link.origin).toBe('http://news.test');
    expect(link.pathname).toBe(`/news/preview/${documentId}`);
    expect([...link.searchParams.keys()]).toEqual(['token']);
    const token = link.searchParams.get('token') as string;
    const response = await fetch(`${app.baseUrl}${link.pathname}${link.search}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('private, no-store');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(await response.text()).toContain(`<h1>${draft.headline}</h1>`);
    // The same token for another document, a tampered token, an old-style secret: refused.
    const other = await app.strapi.documents('api::article.article').create({ locale: 'en', data: { headline: 'Another draft entirely' } } as never);
    expect((await fetch(`${app.baseUrl}/news/preview/${other.documentId}?token=${token}`)).status).toBe(401);
    const [body, mac] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), d: other.documentId })).toString('base64url');
    expect((await fetch(`${app.baseUrl}/news/preview/${other.documentId}?token=${forged}.${mac}`)).status).toBe(401);
    expect((await fetch(`${app.baseUrl}/news/preview/${documentId}?secret=test-preview-secret-0123456789`)).status).toBe(400);
  });

  it('a preview link expires (PREVIEW_LINK_TTL)', async () => {
    const expired = signPreview('test-preview-secret-0123456789', { d: documentId, l: 'en', s: 'draft' }, 60, Date.now() - 61_000);
    const response = await fetch(`${app.baseUrl}/news/preview/${documentId}?token=${expired}`);
    expect(response.status).toBe(401);
    expect(await response.text()).toMatch(/expired/);
  });

  it('the access log never writes a preview token', async () => {
    const token = signPreview('test-preview-secret-0123456789', { d: documentId, l: 'en', s: 'draft' }, 600);
    const lines: string[] = [];
    const http = app.strapi.log.http.bind(app.strapi.log);
    app.strapi.log.http = ((line: string) => {
      lines.push(line);
      return http(line);
    }) as typeof app.strapi.log.http;
    try {
      await fetch(`${app.baseUrl}/news/preview/${documentId}?token=${token}`);
    } finally {
      app.strapi.log.http = http as typeof app.strapi.log.http;
    }
    expect(lines.some((line) => line.includes(`/news/preview/${documentId}?token=[redacted]`))).toBe(true);
    expect(lines.join('\n')).not.toContain(token.split('.')[1]);
  });
});

describe("role conditions: Strapi's Author sees only what they created", () => {
  let authorToken: string;
  let ownDocumentId: string;
  beforeAll(async () => {
    const role = (await app.strapi.db.query('admin::role').findOne({ where: { code: 'strapi-author' } })) as { id: number };
    await app.strapi.service('admin::user').create({ email: 'author@news.test', firstname: 'Ann', lastname: 'Author', password: 'Author-pass-1234', roles: [role.id], isActive: true });
    authorToken = await login('author@news.test', 'Author-pass-1234');
    const created = await json(await admin(`${CM}?locale=en`, { method: 'POST', token: authorToken, body: { headline: 'The author’s own story' } }));
    ownDocumentId = created.data.documentId;
    expect(ownDocumentId).toBeTruthy();
  });

  it('revisions of an article someone else created: 403 for list, one, diff and restore', async () => {
    const revisions = await json(await admin(`/news-admin/articles/${documentId}/revisions`));
    const [first] = revisions.data;
    for (const [method, path] of [
      ['GET', `/news-admin/articles/${documentId}/revisions`],
      ['GET', `/news-admin/articles/${documentId}/revisions/${first.id}`],
      ['GET', `/news-admin/articles/${documentId}/revisions/diff?from=${first.id}&to=${first.id}`],
      ['POST', `/news-admin/articles/${documentId}/revisions/${first.id}/restore`],
    ]) {
      expect([path, (await admin(path, { method, token: authorToken })).status]).toEqual([path, 403]);
    }
    expect((await admin(`/news-admin/articles/${ownDocumentId}/revisions`, { token: authorToken })).status).toBe(200);
  });

  it('no preview link for an article someone else created; one for their own', async () => {
    const others = await admin(`/content-manager/preview/url/api::article.article?documentId=${documentId}&locale=en&status=draft`, { token: authorToken });
    expect(others.status).toBe(204);
    const own = await json(await admin(`/content-manager/preview/url/api::article.article?documentId=${ownDocumentId}&locale=en&status=draft`, { token: authorToken }));
    expect(own.data.url).toMatch(/\/news\/preview\/.+\?token=/);
  });
});

describe('webhooks', () => {
  it('publish, update and unpublish notify the configured URL with the article', async () => {
    received.length = 0;
    await admin(`${CM}/${documentId}?locale=en`, { method: 'PUT', body: { ...(await editView()), standfirst: 'Webhook standfirst' } });
    await admin(`${CM}/${documentId}/actions/publish?locale=en`, { method: 'POST', body: await editView() });
    await admin(`${CM}/${documentId}/actions/unpublish?locale=en`, { method: 'POST', body: {} });
    for (let i = 0; i < 50 && !received.some((r) => r.event === 'entry.unpublish'); i += 1) await new Promise((r) => setTimeout(r, 100));
    const events = received.map((r) => r.event);
    expect(events).toEqual(expect.arrayContaining(['entry.update', 'entry.publish', 'entry.unpublish']));
    const publish = received.find((r) => r.event === 'entry.publish');
    expect(publish?.body.model).toBe('article');
    expect(publish?.body.entry?.documentId).toBe(documentId);
    expect(publish?.body.entry?.headline).toBeTruthy();
  });
});
