import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminClient, createDatabase, dropDatabase, runCli, startInstance, waitFor, type Instance } from '../../scripts/lib/instances';
import { startEdge, type Edge } from '../../scripts/edge';
import { signPreview } from '../../src/reader/preview-links';
import { sql } from '../helpers/database';
import { TcpProxy } from '../helpers/tcp-proxy';

/**
 * The public promises at the edge: two instances behind a real varnishd started from the
 * project's VCL (deploy/varnish/default.vcl), the instances purging it by key from their outbox.
 * Readers here only ever ask the edge. Between the edge and the instances, a round-robin relay
 * (a load balancer) that the tests can take down (the origin stopped); between the instances and
 * the edge's purge port, another (the edge down, for the service).
 *
 * Edge lifetimes are short (max-age 5 s, stale-while-revalidate 2 s) so that "the origin stopped"
 * can outlast them, and still five times the 1 s in which a purge must make the edge fresh.
 */
const SERVER = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ARTICLE_CM = '/content-manager/collection-types/api::article.article';
const PREVIEW_SECRET = 'cluster-preview-secret-0123456789';
const MAX_AGE = 5;
const STALE_WHILE_REVALIDATE = 2;
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==', 'base64');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Seen {
  status: number;
  text: string;
  edge: string | null;
}

describe('two instances behind a real Varnish, purged by key from the outbox', () => {
  const basePort = 2400 + (process.pid % 100) * 6;
  let databaseUrl: string;
  let dir: string;
  let a: Instance;
  let b: Instance;
  let edge: Edge;
  let balancer: TcpProxy;
  let purgePath: TcpProxy;
  let env: Record<string, string>;
  let admin: Awaited<ReturnType<typeof adminClient>>;
  let token: string;
  let documentId: string;
  let slug: string;
  let creditId: string;
  let creditName = 'Edge Photo Agency';
  let headline = 'Lighthouse keepers return to the point';

  const STORY = (title: string) => `${title}\n\nThe lamp at dusk. Credit: ${creditName}\n\nThe lighthouse was lit again on Friday after a year of repairs.\n`;

  beforeAll(async () => {
    databaseUrl = await createDatabase(SERVER, 'news_edge');
    dir = mkdtempSync(join(tmpdir(), 'news-edge-'));
    const [portA, portB, edgePort] = [basePort, basePort + 1, basePort + 2];
    balancer = new TcpProxy([
      { host: '127.0.0.1', port: portA },
      { host: '127.0.0.1', port: portB },
    ]);
    purgePath = new TcpProxy([{ host: '127.0.0.1', port: edgePort }]);
    await Promise.all([balancer.open(), purgePath.open()]);
    env = {
      DATABASE_URL: databaseUrl,
      REDIS_URL,
      PUBLIC_URL: 'http://news.test',
      CACHE_TTL: '3600',
      SURROGATE_MAX_AGE: String(MAX_AGE),
      SURROGATE_STALE_WHILE_REVALIDATE: String(STALE_WHILE_REVALIDATE),
      SURROGATE_STALE_IF_ERROR: '600',
      EDGE_PURGE_URLS: purgePath.url,
      PREVIEW_SECRET,
    };
    [a, b, edge] = await Promise.all([startInstance(portA, env), startInstance(portB, env), startEdge({ listen: `127.0.0.1:${edgePort}`, origin: `127.0.0.1:${balancer.port}` })]);
    writeFileSync(join(dir, 'edge_story.txt'), STORY(headline));
    const imported = await runCli(['import', join(dir, 'edge_story.txt')], env);
    expect(imported.code).toBe(0);
    const list = (await (await fetch(`${a.baseUrl}/api/articles`)).json()) as { data: Array<{ documentId: string; slug: string; lead: { credit: { documentId: string } } }> };
    ({ documentId, slug } = list.data[0]);
    creditId = list.data[0].lead.credit.documentId;
    admin = await adminClient(a.baseUrl);
    const created = await admin.call('POST', '/admin/api-tokens', { name: 'edge', description: 'test', type: 'full-access', lifespan: null });
    token = (created.body as { data: { accessKey: string } }).data.accessKey;
    expect(token).toBeTruthy();
  }, 180_000);

  afterAll(async () => {
    await Promise.all([a?.stop('SIGTERM', 20_000), b?.stop('SIGTERM', 20_000), edge?.stop()]);
    await Promise.all([balancer?.close(), purgePath?.close()]);
    if (databaseUrl) await dropDatabase(databaseUrl);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const read = async (path: string, init: RequestInit = {}): Promise<Seen> => {
    // Apollo's CSRF prevention: a GET query names itself with a header a plain form cannot send.
    const headers = path.startsWith('/graphql') ? { 'apollo-require-preflight': 'true', ...init.headers } : init.headers;
    const response = await fetch(`${edge.url}${path}`, { ...init, headers });
    return { status: response.status, text: await response.text(), edge: response.headers.get('x-edge-cache') };
  };
  type Representation = { name: string; path: () => string };
  const representations: Representation[] = [
    { name: 'REST by id', path: () => `/api/articles/${documentId}` },
    { name: 'REST by slug', path: () => `/api/articles?filters[slug][$eq]=${slug}` },
    { name: 'REST list', path: () => '/api/articles' },
    { name: 'reader page', path: () => `/news/${slug}` },
    { name: 'RSS', path: () => '/rss.xml' },
    { name: 'JSON-LD', path: () => `/api/articles/${documentId}/jsonld` },
    { name: 'GraphQL over GET', path: () => `/graphql?query=${encodeURIComponent(`{ article(documentId: "${documentId}") { headline lead { credit { name } } } }`)}` },
  ];

  /** The edge answers every representation from its cache, showing what `shows` expects. */
  async function warm(shows: (name: string, seen: Seen) => boolean): Promise<void> {
    for (const rep of representations) {
      await waitFor(async () => {
        const first = await read(rep.path());
        if (!shows(rep.name, first)) return undefined;
        const second = await read(rep.path());
        return shows(rep.name, second) && second.edge === 'HIT' ? true : undefined;
      }, 5000, `${rep.name} cached at the edge`);
    }
  }

  /** Polls every representation at the edge until `fresh`; returns those still not fresh after `withinMs`. */
  async function lateAfter(since: number, withinMs: number, fresh: (name: string, seen: Seen) => boolean): Promise<string[]> {
    const late: string[] = [];
    await Promise.all(
      representations.map(async (rep) => {
        for (;;) {
          const seen = await read(rep.path());
          if (fresh(rep.name, seen)) return;
          if (Date.now() - since > withinMs) {
            late.push(`${rep.name}: ${seen.status} ${seen.edge} ${seen.text.slice(0, 160)}`);
            return;
          }
          await sleep(50);
        }
      })
    );
    return late;
  }

  /** Every representation stays fresh at the edge (a second of reads). */
  async function staysFresh(fresh: (name: string, seen: Seen) => boolean): Promise<void> {
    for (let round = 0; round < 5; round += 1) {
      for (const rep of representations) {
        const seen = await read(rep.path());
        expect([rep.name, fresh(rep.name, seen)]).toEqual([rep.name, true]);
      }
      await sleep(200);
    }
  }

  /** After `write`, every representation at the edge is fresh within 1 s, and stays so. */
  async function expectFresh(write: () => Promise<void>, fresh: (name: string, seen: Seen) => boolean): Promise<void> {
    await write();
    expect(await lateAfter(Date.now(), 1000, fresh)).toEqual([]);
    await staysFresh(fresh);
  }

  /** The origin back behind the edge, and the edge's health probe seeing it again. */
  async function reopenOrigin(): Promise<void> {
    await balancer.open();
    await waitFor(async () => ((await fetch(`${edge.url}/_health`)).status === 204 ? true : undefined), 10_000, 'the edge to see the origin again');
  }

  const showing = (text: string, old?: string) => (name: string, seen: Seen) =>
    seen.status === 200 && seen.text.includes(text) && (old === undefined || !seen.text.includes(old));
  const gone = (name: string, seen: Seen) => {
    if (['REST by id', 'JSON-LD', 'reader page'].includes(name)) return seen.status === 404;
    if (name === 'GraphQL over GET') return seen.status === 200 && seen.text.includes('"article":null');
    return seen.status === 200 && !seen.text.includes(documentId) && !seen.text.includes(headline);
  };

  describe('after every write path, every public representation is fresh at the edge within 1 s', () => {
    it('an admin publish (content manager, on A)', async () => {
      await warm(showing(headline));
      const old = headline;
      headline = 'Admin publish: the lighthouse shines again';
      await expectFresh(() => admin.publishHeadline(documentId, headline), showing(headline, old));
    });

    it('a content-API update with a full-access token (on B)', async () => {
      await warm(showing(headline));
      const old = headline;
      headline = 'Content API: keepers back at the lighthouse';
      await expectFresh(async () => {
        const response = await fetch(`${b.baseUrl}/api/articles/${documentId}?locale=en`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ data: { headline } }),
        });
        expect(response.status).toBe(200);
      }, showing(headline, old));
    });

    it('a GraphQL mutation (on A)', async () => {
      await warm(showing(headline));
      const old = headline;
      headline = 'GraphQL: the lamp turns again';
      await expectFresh(async () => {
        const response = await fetch(`${a.baseUrl}/graphql`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ query: `mutation { updateArticle(documentId: "${documentId}", locale: "en", status: PUBLISHED, data: { headline: "${headline}" }) { headline } }` }),
        });
        expect(((await response.json()) as { errors?: unknown }).errors).toBeUndefined();
      }, showing(headline, old));
    });

    it('the importer (another process, which exits right after its commit)', async () => {
      await warm(showing(headline));
      const old = headline;
      headline = 'Importer: the lighthouse is lit for good';
      await expectFresh(async () => {
        writeFileSync(join(dir, 'edge_story.txt'), STORY(headline));
        const result = await runCli(['import', '--force', join(dir, 'edge_story.txt')], env);
        expect(result.code).toBe(0);
      }, showing(headline, old));
    });

    it('a credit renamed (content API, on B)', async () => {
      const CREDIT_SHOWN_IN = ['REST by id', 'REST by slug', 'REST list', 'reader page', 'GraphQL over GET'];
      await warm((rep, seen) => seen.status === 200 && (!CREDIT_SHOWN_IN.includes(rep) || seen.text.includes(creditName)));
      const old = creditName;
      creditName = 'Renamed Edge Agency';
      await expectFresh(async () => {
        const response = await fetch(`${b.baseUrl}/api/image-credits/${creditId}`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ data: { name: creditName } }),
        });
        expect(response.status).toBe(200);
      }, (rep, seen) => seen.status === 200 && !seen.text.includes(old) && (!CREDIT_SHOWN_IN.includes(rep) || seen.text.includes(creditName)));
    });

    it('an image file edited in the media library (alt text, on A)', async () => {
      const form = new FormData();
      form.append('files', new Blob([PNG], { type: 'image/png' }), 'lamp.png');
      form.append('fileInfo', JSON.stringify({ alternativeText: 'first edge alt', name: 'lamp.png' }));
      const uploaded = await fetch(`${a.baseUrl}/upload`, { method: 'POST', headers: { authorization: `Bearer ${admin.token}` }, body: form });
      expect(uploaded.status).toBe(201);
      const [file] = (await uploaded.json()) as Array<{ id: number }>;
      const current = await admin.call('GET', `${ARTICLE_CM}/${documentId}?locale=en`);
      const data = current.body?.data as { version: number; lead: Record<string, unknown> };
      const saved = await admin.call('POST', `${ARTICLE_CM}/${documentId}/actions/publish?locale=en`, { version: data.version, lead: { ...data.lead, image: file.id } });
      expect(saved.status).toBe(200);
      const IMAGE_SHOWN_IN = ['REST by id', 'REST by slug', 'REST list'];
      await warm((name, seen) => seen.status === 200 && (!IMAGE_SHOWN_IN.includes(name) || seen.text.includes('first edge alt')));
      await expectFresh(async () => {
        const info = new FormData();
        info.append('fileInfo', JSON.stringify({ alternativeText: 'second edge alt', name: 'lamp.png' }));
        const edited = await fetch(`${a.baseUrl}/upload?id=${file.id}`, { method: 'POST', headers: { authorization: `Bearer ${admin.token}` }, body: info });
        expect(edited.status).toBe(200);
      }, (name, seen) => seen.status === 200 && !seen.text.includes('first edge alt') && (!IMAGE_SHOWN_IN.includes(name) || seen.text.includes('second edge alt')));
    });

    it('a permission change (the Public role loses articles): 403 at the edge at once; restored, 200', async () => {
      await warm(showing(headline));
      const roles = await admin.call('GET', '/users-permissions/roles');
      const publicRole = (roles.body as { roles: Array<{ id: number; type: string }> }).roles.find((r) => r.type === 'public') as { id: number };
      const role = await admin.call('GET', `/users-permissions/roles/${publicRole.id}`);
      const current = (role.body as { role: { name: string; description: string; permissions: Record<string, { controllers: Record<string, Record<string, { enabled: boolean }>> }> } }).role;
      const toggle = (enabled: boolean) => {
        const copy = JSON.parse(JSON.stringify(current.permissions)) as typeof current.permissions;
        for (const action of ['find', 'findOne', 'jsonld']) {
          const entry = copy['api::article'].controllers.article[action];
          if (entry) entry.enabled = enabled;
        }
        return admin.call('PUT', `/users-permissions/roles/${publicRole.id}`, { name: current.name, description: current.description, permissions: copy });
      };
      const forbidden = (name: string, seen: Seen) => (name.startsWith('REST') ? seen.status === 403 : true);
      await expectFresh(async () => {
        expect((await toggle(false)).status).toBe(200);
      }, forbidden);
      await expectFresh(async () => {
        expect((await toggle(true)).status).toBe(200);
      }, showing(headline));
    });
  });

  it('a takedown (bulk unpublish) is gone from the edge within 1 s and never served again, not even stale with the origin down', async () => {
    await warm(showing(headline));
    await expectFresh(async () => {
      const result = await admin.call('POST', `${ARTICLE_CM}/actions/bulkUnpublish?locale=en`, { documentIds: [documentId] });
      expect(result.status).toBe(200);
    }, gone);
    // The origin goes away: whatever the edge still has, the taken-down story is not in it.
    await balancer.close();
    try {
      const until = Date.now() + (MAX_AGE + STALE_WHILE_REVALIDATE + 1) * 1000;
      while (Date.now() < until) {
        for (const rep of representations) {
          const seen = await read(rep.path());
          expect([rep.name, seen.status === 200 && seen.text.includes(headline)]).toEqual([rep.name, false]);
        }
        await sleep(250);
      }
    } finally {
      await reopenOrigin();
    }
    await expectFresh(async () => {
      const result = await admin.call('POST', `${ARTICLE_CM}/actions/bulkPublish?locale=en`, { documentIds: [documentId] });
      expect(result.status).toBe(200);
    }, showing(headline));
  });

  it('an embargo end (unpublishAt) is never served from the edge past its time, not even with the origin down', async () => {
    const ends = new Date(Date.now() + 6000);
    const current = await admin.call('GET', `${ARTICLE_CM}/${documentId}?locale=en`);
    const saved = await admin.call('POST', `${ARTICLE_CM}/${documentId}/actions/publish?locale=en`, { version: (current.body?.data as { version: number }).version, unpublishAt: ends.toISOString() });
    expect(saved.status).toBe(200);
    await warm(showing(headline));
    const surrogate = (await fetch(`${a.baseUrl}/api/articles/${documentId}`)).headers.get('surrogate-control') ?? '';
    expect(surrogate).not.toMatch(/stale/);
    await balancer.close();
    try {
      await sleep(Math.max(0, ends.getTime() - Date.now()) + 200);
      for (let round = 0; round < 8; round += 1) {
        for (const rep of representations) {
          const seen = await read(rep.path());
          expect([rep.name, seen.status === 200 && seen.text.includes(headline)]).toEqual([rep.name, false]);
        }
        await sleep(250);
      }
    } finally {
      await reopenOrigin();
    }
    // The job took it down meanwhile; published again, without an end, for the tests after this one.
    await waitFor(async () => ((await fetch(`${a.baseUrl}/api/articles/${documentId}`)).status === 404 ? true : undefined), 20_000, 'the scheduled unpublish');
    const draft = await admin.call('GET', `${ARTICLE_CM}/${documentId}?locale=en`);
    const republished = await admin.call('POST', `${ARTICLE_CM}/${documentId}/actions/publish?locale=en`, { version: (draft.body?.data as { version: number }).version, unpublishAt: null });
    expect(republished.status).toBe(200);
  });

  it('an unpublished edit, an authenticated read and a preview link never come out of the edge', async () => {
    await warm(showing(headline));
    const secret = `Draft only ${Date.now()}: not for readers`;
    const current = await admin.call('GET', `${ARTICLE_CM}/${documentId}?locale=en`);
    const saved = await admin.call('PUT', `${ARTICLE_CM}/${documentId}?locale=en`, { version: (current.body?.data as { version: number }).version, headline: secret });
    expect(saved.status).toBe(200);

    // Editors and previews read the draft through the edge, twice each: never from its cache.
    const auth = { headers: { authorization: `Bearer ${token}` } };
    const preview = signPreview(PREVIEW_SECRET, { d: documentId, l: 'en', s: 'draft' }, 600);
    const privateReads = [
      () => read(`/api/articles/${documentId}?status=draft`, auth),
      () => read(`/api/articles?status=draft`, auth),
      () => read(`/news/preview/${documentId}?token=${preview}`),
    ];
    for (const privateRead of privateReads) {
      for (let i = 0; i < 2; i += 1) {
        const seen = await privateRead();
        expect(seen.status).toBe(200);
        expect(seen.text).toContain(secret);
        expect(seen.edge).not.toBe('HIT');
      }
    }
    // Anonymous readers, asking for the same URLs or the public ones, never get the draft.
    const publicReads = [...representations.map((rep) => () => read(rep.path())), () => read(`/api/articles/${documentId}?status=draft`), () => read('/api/articles?status=draft')];
    for (let round = 0; round < 3; round += 1) {
      for (const publicRead of publicReads) expect((await publicRead()).text).not.toContain(secret);
      await sleep(300);
    }
    const discarded = await admin.call('POST', `${ARTICLE_CM}/${documentId}/actions/discard?locale=en`, {});
    expect(discarded.status).toBe(200);
  });

  it('the edge down during a publish, then back with its cache intact: purged on its return', async () => {
    await warm(showing(headline));
    const old = headline;
    headline = 'While the edge was away: the lighthouse repainted';
    await purgePath.close();
    try {
      await admin.publishHeadline(documentId, headline);
      await sleep(1500);
      // The edge was not told: it still has the old copy (the outbox holds the purge).
      expect((await read(representations[0].path())).text).toContain(old);
      const [{ n }] = await sql<{ n: string }>(databaseUrl, 'SELECT count(*) AS n FROM edge_purge_outbox');
      expect(Number(n)).toBeGreaterThan(0);
    } finally {
      await purgePath.open();
    }
    // Back: delivered within the outbox's retry (backoff up to 2 s) and a delivery.
    expect(await lateAfter(Date.now(), 3500, showing(headline, old))).toEqual([]);
    await staysFresh(showing(headline, old));
  });

  it('an instance killed with kill -9 right after a commit: the purge is still delivered, by another', async () => {
    const writer = await startInstance(basePort + 3, env);
    await warm(showing(headline));
    const old = headline;
    headline = 'After the crash: the keepers stay on';
    await purgePath.close();
    try {
      await adminClient(writer.baseUrl).then((c) => c.publishHeadline(documentId, headline));
      await writer.stop('SIGKILL');
      const [{ n }] = await sql<{ n: string }>(databaseUrl, 'SELECT count(*) AS n FROM edge_purge_outbox');
      expect(Number(n)).toBeGreaterThan(0);
    } finally {
      await purgePath.open();
    }
    // The survivors' poll (1 s) finds the dead writer's rows.
    expect(await lateAfter(Date.now(), 4000, showing(headline, old))).toEqual([]);
    await staysFresh(showing(headline, old));
  });

  it('the origin stopped: the edge keeps answering published articles (stale-if-error)', async () => {
    await warm(showing(headline));
    await balancer.close();
    try {
      // Past max-age and stale-while-revalidate: only stale-if-error keeps them.
      await sleep((MAX_AGE + STALE_WHILE_REVALIDATE + 1) * 1000);
      for (const rep of representations) {
        const seen = await read(rep.path());
        expect([rep.name, seen.status, seen.text.includes(headline)]).toEqual([rep.name, 200, true]);
      }
    } finally {
      await reopenOrigin();
    }
  });
});
