import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminClient, createDatabase, dropDatabase, runCli, serverPid, startInstance, waitFor, type Instance } from '../../scripts/lib/instances';
import { startEdge, type Edge } from '../../scripts/edge';
import { signPreview } from '../../src/reader/preview-links';
import { sql } from '../helpers/database';
import { TcpProxy } from '../helpers/tcp-proxy';
import { bulk, contentApiHeadline, editAltText, graphqlHeadline, leadImage, publicArticleReads, renameCredit } from '../helpers/write-paths';

/**
 * The public promises at the edge: two instances behind a real varnishd started from the
 * project's VCL (deploy/varnish/default.vcl), the instances purging it by key from their outbox.
 * Readers here only ever ask the edge. Between the edge and the instances, a round-robin relay
 * (a load balancer) that the tests can take down (the origin stopped); between the instances and
 * the edge's purge port, another (the edge down, for the service).
 *
 * Edge lifetimes are 20 s (and 2 s stale-while-revalidate): twenty times the 1 s in which a purge
 * must make the edge fresh, and short enough for "the origin stopped" to outlast them.
 */
const SERVER = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ARTICLE_CM = '/content-manager/collection-types/api::article.article';
const PREVIEW_SECRET = 'cluster-preview-secret-0123456789';
const MAX_AGE = 20;
const STALE_WHILE_REVALIDATE = 2;
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

  const outboxRows = async (where = 'true') => Number((await sql<{ n: string }>(databaseUrl, `SELECT count(*) AS n FROM edge_purge_outbox WHERE ${where}`))[0].n);

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
      await expectFresh(() => contentApiHeadline(b.baseUrl, token, documentId, headline), showing(headline, old));
    });

    it('a GraphQL mutation (on A)', async () => {
      await warm(showing(headline));
      const old = headline;
      headline = 'GraphQL: the lamp turns again';
      await expectFresh(() => graphqlHeadline(a.baseUrl, token, documentId, headline), showing(headline, old));
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

    it("a new story imported (the importer's fast path, another process): in the lists at the edge once the command returns", async () => {
      await warm(showing(headline));
      writeFileSync(join(dir, 'edge_tide_tables.txt'), 'Tide tables printed again\n\nThe harbour office. Credit: Tide Office\n\nThe tide tables are back in print.\n');
      const result = await runCli(['import', join(dir, 'edge_tide_tables.txt')], env);
      expect(result.code).toBe(0);
      for (const path of ['/api/articles', '/rss.xml']) {
        await waitFor(async () => ((await read(path)).text.includes('Tide tables printed again') ? true : undefined), 1000, `${path} at the edge to list the new story`);
      }
    });

    it('a credit renamed (content API, on B)', async () => {
      const CREDIT_SHOWN_IN = ['REST by id', 'REST by slug', 'REST list', 'reader page', 'GraphQL over GET'];
      await warm((rep, seen) => seen.status === 200 && (!CREDIT_SHOWN_IN.includes(rep) || seen.text.includes(creditName)));
      const old = creditName;
      creditName = 'Renamed Edge Agency';
      await expectFresh(() => renameCredit(b.baseUrl, token, creditId, creditName), (rep, seen) => seen.status === 200 && !seen.text.includes(old) && (!CREDIT_SHOWN_IN.includes(rep) || seen.text.includes(creditName)));
    });

    it('an image file edited in the media library (alt text, on A)', async () => {
      const fileId = await leadImage(a.baseUrl, admin, documentId, 'first edge alt');
      const IMAGE_SHOWN_IN = ['REST by id', 'REST by slug', 'REST list'];
      await warm((name, seen) => seen.status === 200 && (!IMAGE_SHOWN_IN.includes(name) || seen.text.includes('first edge alt')));
      await expectFresh(() => editAltText(a.baseUrl, admin, fileId, 'second edge alt'), (name, seen) => seen.status === 200 && !seen.text.includes('first edge alt') && (!IMAGE_SHOWN_IN.includes(name) || seen.text.includes('second edge alt')));
    });

    it('a permission change (the Public role loses articles): 403 at the edge at once; restored, 200', async () => {
      await warm(showing(headline));
      const toggle = await publicArticleReads(admin);
      // Every representation, the reader page and the feed included: nothing cached before is served
      // (GraphQL says it as GraphQL does: a FORBIDDEN error, no data).
      const forbidden = (name: string, seen: Seen) =>
        (name === 'GraphQL over GET' ? seen.text.includes('"code":"FORBIDDEN"') && seen.text.includes('"article":null') : seen.status === 403) && !seen.text.includes(headline);
      try {
        await expectFresh(() => toggle(false), forbidden);
      } finally {
        await toggle(true);
      }
      await expectFresh(async () => undefined, showing(headline));
    });
  });

  it('a takedown (bulk unpublish) is never served from the edge once purged, not even stale with the origin down', async () => {
    await warm(showing(headline));
    // The edge cannot reach the origin from now on: whatever it serves comes from what it has.
    await balancer.close();
    try {
      await bulk(admin, 'bulkUnpublish', documentId);
      await waitFor(async () => ((await outboxRows('sent_at IS NULL')) === 0 ? true : undefined), 2000, 'the purge to be acknowledged');
      // From the first read on, through max-age and stale-while-revalidate: never the story.
      const until = Date.now() + (MAX_AGE + STALE_WHILE_REVALIDATE + 1) * 1000;
      while (Date.now() < until) {
        for (const rep of representations) {
          const seen = await read(rep.path());
          expect([rep.name, seen.status === 200 && seen.text.includes(headline)]).toEqual([rep.name, false]);
        }
        await sleep(500);
      }
    } finally {
      await reopenOrigin();
    }
    expect(await lateAfter(Date.now(), 1000, gone)).toEqual([]);
    await expectFresh(() => bulk(admin, 'bulkPublish', documentId), showing(headline));
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
      expect(await outboxRows('sent_at IS NULL')).toBeGreaterThan(0);
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
      // The server process itself (the launcher would orphan it, and it would deliver later).
      process.kill(serverPid(writer), 'SIGKILL');
      await writer.exited;
      expect(await outboxRows('sent_at IS NULL')).toBeGreaterThan(0);
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

describe('an overdue scheduled publish, run by the first instance up, purges the edge like any other write', () => {
  const port = 2400 + (process.pid % 100) * 6 + 4;
  let databaseUrl: string;
  let dir: string;
  let edge: Edge;
  let instance: Instance | undefined;

  beforeAll(async () => {
    databaseUrl = await createDatabase(SERVER, 'news_edge_boot');
    dir = mkdtempSync(join(tmpdir(), 'news-edge-boot-'));
    edge = await startEdge({ listen: `127.0.0.1:${port + 1}`, origin: `127.0.0.1:${port}` });
  });

  afterAll(async () => {
    await Promise.all([instance?.stop('SIGTERM', 20_000), edge?.stop()]);
    if (databaseUrl) await dropDatabase(databaseUrl);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the edge shows the scheduled headline within seconds of the boot', async () => {
    // An hour at the edge: only a purge can make it fresh within this test.
    const env = { DATABASE_URL: databaseUrl, REDIS_URL, SURROGATE_MAX_AGE: '3600', EDGE_PURGE_URLS: edge.url, SCHEDULE_WORKERS: 'true' };
    instance = await startInstance(port, env);
    writeFileSync(join(dir, 'boot_story.txt'), 'Ferry timetable unchanged\n\nThe ferry at the pier. Credit: Boot Agency\n\nThe winter timetable stays as it was.\n');
    expect((await runCli(['import', join(dir, 'boot_story.txt')], env)).code).toBe(0);
    const list = (await (await fetch(`${instance.baseUrl}/api/articles`)).json()) as { data: Array<{ documentId: string }> };
    const { documentId } = list.data[0];
    const path = `/api/articles/${documentId}`;
    await fetch(`${edge.url}${path}`);
    expect((await fetch(`${edge.url}${path}`)).headers.get('x-edge-cache')).toBe('HIT');

    // The new headline is saved with a publish time a few seconds away; then every instance stops.
    const admin = await adminClient(instance.baseUrl);
    const current = await admin.call('GET', `${ARTICLE_CM}/${documentId}?locale=en`);
    const due = new Date(Date.now() + 4000);
    const saved = await admin.call('PUT', `${ARTICLE_CM}/${documentId}?locale=en`, { version: (current.body?.data as { version: number }).version, headline: 'Ferry timetable changed overnight', publishAt: due.toISOString() });
    expect(saved.status).toBe(200);
    await instance.stop('SIGTERM', 20_000);
    instance = undefined;
    await sleep(Math.max(0, due.getTime() - Date.now()) + 1000);
    // Still the old copy at the edge (nothing ran the job).
    expect(await (await fetch(`${edge.url}${path}`)).text()).toContain('Ferry timetable unchanged');

    instance = await startInstance(port, env);
    const booted = Date.now();
    await waitFor(async () => ((await (await fetch(`${edge.url}${path}`)).text()).includes('Ferry timetable changed overnight') ? true : undefined), 5000, 'the edge to show the scheduled headline');
    expect(Date.now() - booted).toBeLessThan(5000);
  });
});
