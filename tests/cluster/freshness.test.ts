import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminClient, createDatabase, dropDatabase, runCli, startInstance, type Instance } from '../../scripts/lib/instances';
import { bulk, contentApiHeadline, editAltText, graphqlHeadline, leadImage, publicArticleReads, renameCredit } from '../helpers/write-paths';

/**
 * The second public promise, on two instances sharing PostgreSQL and Redis: after any write,
 * whatever made it, every public representation on both instances shows the new text within
 * 1 s and never the old one again. Before each write both instances answer every representation
 * from their caches (`X-Cache: hit`): a purge that did not travel would leave one stale.
 */
const SERVER = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

describe.each([
  ['Redis', REDIS_URL],
  ['PostgreSQL LISTEN/NOTIFY (no REDIS_URL)', ''],
])('purges over %s', (_transport, redisUrl) => {
  let databaseUrl: string;
  let dir: string;
  let a: Instance;
  let b: Instance;
  let admin: Awaited<ReturnType<typeof adminClient>>;
  let token: string;
  let documentId: string;
  let slug: string;
  let creditId: string;
  let creditName = 'Freshness Agency';
  let headline = 'Harbour cranes return after the storm';

  const STORY = (title: string) => `${title}\n\nA crane at dawn. Credit: ${creditName}\n\nThe harbour reopened on Monday after a week of repairs.\n`;

  beforeAll(async () => {
    databaseUrl = await createDatabase(SERVER, 'news_fresh');
    dir = mkdtempSync(join(tmpdir(), 'news-fresh-'));
    const env = { DATABASE_URL: databaseUrl, REDIS_URL: redisUrl, PUBLIC_URL: 'http://news.test', CACHE_TTL: '3600' };
    const port = 1700 + (process.pid % 100) * 4 + (redisUrl ? 0 : 2);
    [a, b] = await Promise.all([startInstance(port, env), startInstance(port + 1, env)]);
    writeFileSync(join(dir, 'fresh_story.txt'), STORY(headline));
    const imported = await runCli(['import', join(dir, 'fresh_story.txt')], { DATABASE_URL: databaseUrl });
    expect(imported.code).toBe(0);
    const list = (await (await fetch(`${a.baseUrl}/api/articles`)).json()) as { data: Array<{ documentId: string; slug: string; lead: { credit: { documentId: string } } }> };
    ({ documentId, slug } = list.data[0]);
    creditId = list.data[0].lead.credit.documentId;
    admin = await adminClient(a.baseUrl);
    const created = await admin.call('POST', '/admin/api-tokens', { name: 'freshness', description: 'test', type: 'full-access', lifespan: null });
    token = (created.body as { data: { accessKey: string } }).data.accessKey;
    expect(token).toBeTruthy();
  }, 180_000);

  afterAll(async () => {
    await Promise.all([a?.stop('SIGTERM', 20_000), b?.stop('SIGTERM', 20_000)]);
    if (databaseUrl) await dropDatabase(databaseUrl);
    rmSync(dir, { recursive: true, force: true });
  });

  interface Seen {
    status: number;
    text: string;
    cache: string | null;
  }
  type Representation = { name: string; read(base: string): Promise<Seen> };

  const get = (path: string) => async (base: string): Promise<Seen> => {
    const response = await fetch(`${base}${path}`);
    return { status: response.status, text: await response.text(), cache: response.headers.get('x-cache') };
  };
  const graphql = (query: string) => async (base: string): Promise<Seen> => {
    const response = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
    return { status: response.status, text: await response.text(), cache: response.headers.get('x-cache') };
  };

  const representations = (): Representation[] => [
    { name: 'REST by id', read: get(`/api/articles/${documentId}`) },
    { name: 'REST by slug', read: get(`/api/articles?filters[slug][$eq]=${slug}`) },
    { name: 'REST list', read: get('/api/articles') },
    { name: 'REST list by credit', read: get(`/api/articles?filters[credits][name][$eq]=${encodeURIComponent(creditName)}`) },
    { name: 'GraphQL', read: graphql(`{ article(documentId: "${documentId}") { headline lead { caption alt credit { name } image { alternativeText } } } }`) },
    { name: 'JSON-LD', read: get(`/api/articles/${documentId}/jsonld`) },
    { name: 'ninjs', read: get(`/api/articles/${documentId}/ninjs`) },
    { name: 'reader page', read: get(`/news/${slug}`) },
    // Search (a word of the body, which no write here changes): its hit shows the headline.
    { name: 'REST search', read: get('/api/search?q=harbour') },
  ];

  /** Both instances answer every representation from their caches (and show `before`). */
  async function warm(shows: (name: string, seen: Seen) => boolean): Promise<void> {
    for (const instance of [a, b]) {
      for (const rep of representations()) {
        await rep.read(instance.baseUrl);
        const seen = await rep.read(instance.baseUrl);
        expect([rep.name, shows(rep.name, seen)]).toEqual([rep.name, true]);
        if (seen.status === 200) expect([rep.name, instance.port, seen.cache]).toEqual([rep.name, instance.port, 'hit']);
      }
    }
  }

  /** After `write`, every representation on both instances is fresh within 1 s, and stays so. */
  async function expectFresh(write: () => Promise<void>, fresh: (name: string, seen: Seen) => boolean): Promise<void> {
    await write();
    const written = Date.now();
    const lateness: string[] = [];
    await Promise.all(
      [a, b].flatMap((instance) =>
        representations().map(async (rep) => {
          for (;;) {
            const seen = await rep.read(instance.baseUrl);
            if (fresh(rep.name, seen)) return;
            if (Date.now() - written > 1000) {
              lateness.push(`${rep.name} on ${instance.port}: ${seen.status} ${seen.text.slice(0, 200)}`);
              return;
            }
            await new Promise((r) => setTimeout(r, 50));
          }
        })
      )
    );
    expect(lateness).toEqual([]);
    // Never old again: every representation, on both instances, for another second.
    for (let round = 0; round < 5; round += 1) {
      for (const instance of [a, b]) {
        for (const rep of representations()) {
          const seen = await rep.read(instance.baseUrl);
          expect([rep.name, instance.port, fresh(rep.name, seen)]).toEqual([rep.name, instance.port, true]);
        }
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** A published article shows `text` (and not `old`) in every representation. */
  const showing = (text: string, old?: string) => (name: string, seen: Seen) =>
    seen.status === 200 && (name === 'REST list by credit' || seen.text.includes(text)) && (old === undefined || !seen.text.includes(old));

  describe('after every write path, every representation on both instances is fresh within 1 s', () => {
    it('an admin publish (content manager, on A)', async () => {
      await warm(showing(headline));
      const old = headline;
      headline = 'Admin publish: cranes back in the harbour';
      await expectFresh(() => admin.publishHeadline(documentId, headline), showing(headline, old));
    });

    it('a content-API update with a full-access token (publishes in Strapi 5, on B)', async () => {
      await warm(showing(headline));
      const old = headline;
      headline = 'Content API: harbour cranes working again';
      await expectFresh(() => contentApiHeadline(b.baseUrl, token, documentId, headline), showing(headline, old));
    });

    it('a GraphQL mutation (on A)', async () => {
      await warm(showing(headline));
      const old = headline;
      headline = 'GraphQL: the harbour is busy again';
      await expectFresh(() => graphqlHeadline(a.baseUrl, token, documentId, headline), showing(headline, old));
    });

    it('the importer (another process)', async () => {
      await warm(showing(headline));
      const old = headline;
      headline = 'Importer: harbour cranes return for good';
      await expectFresh(async () => {
        writeFileSync(join(dir, 'fresh_story.txt'), STORY(headline));
        // Run as an operator runs it: with the servers' environment (the purge travels on their bus).
        const result = await runCli(['import', '--force', join(dir, 'fresh_story.txt')], { DATABASE_URL: databaseUrl, REDIS_URL: redisUrl });
        expect(result.code).toBe(0);
      }, showing(headline, old));
    });

    it('a credit renamed (content API, on B): lists by the new name include it, formats show it', async () => {
      // A search hit does not show credits: it shows the article.
      await warm((name, seen) => (name === 'REST search' ? seen.status === 200 && seen.text.includes(documentId) : showing(creditName)(name, seen)));
      const old = creditName;
      creditName = 'Renamed Photo Agency';
      // A search hit does not show credits: it still finds the article, and never the old name.
      await expectFresh(
        () => renameCredit(b.baseUrl, token, creditId, creditName),
        (name, seen) =>
          seen.status === 200 && (name === 'REST search' || seen.text.includes(creditName)) && !seen.text.includes(old) && (!['REST list by credit', 'REST search'].includes(name) || seen.text.includes(documentId))
      );
      const searchOld = (await (await fetch(`${b.baseUrl}/api/search?q=${encodeURIComponent(`"${old}"`)}`)).json()) as { data: unknown[] };
      expect(searchOld.data).toEqual([]);
      const byOld = (await (await fetch(`${a.baseUrl}/api/articles?filters[credits][name][$eq]=${encodeURIComponent(old)}`)).json()) as { data: unknown[] };
      expect(byOld.data).toEqual([]);
    });

    it('an image file edited in the media library (alt text, on A)', async () => {
      // The lead photo gets a file (an admin publish), then the file's alt text is edited.
      const fileId = await leadImage(a.baseUrl, admin, documentId, 'first alt text');
      const IMAGE_SHOWN_IN = ['REST by id', 'REST by slug', 'REST list', 'GraphQL'];
      await warm((name, seen) => seen.status === 200 && (!IMAGE_SHOWN_IN.includes(name) || seen.text.includes('first alt text')));
      await expectFresh(() => editAltText(a.baseUrl, admin, fileId, 'second alt text'), (name, seen) => seen.status === 200 && !seen.text.includes('first alt text') && (!IMAGE_SHOWN_IN.includes(name) || seen.text.includes('second alt text')));
    });

    it('a bulk unpublish (content manager) takes it down everywhere; a bulk publish brings it back', async () => {
      await warm(showing(headline));
      const gone = (name: string, seen: Seen) => {
        if (['REST by id', 'JSON-LD', 'ninjs', 'reader page'].includes(name)) return seen.status === 404;
        if (name === 'GraphQL') return seen.status === 200 && seen.text.includes('"article":null');
        return seen.status === 200 && !seen.text.includes(documentId);
      };
      await expectFresh(() => bulk(admin, 'bulkUnpublish', documentId), gone);
      await expectFresh(() => bulk(admin, 'bulkPublish', documentId), showing(headline));
    });

    it("a permission change (the Public role loses articles): every instance answers 403 at once; restored, 200", async () => {
      await warm(showing(headline));
      const toggle = await publicArticleReads(admin);
      const forbidden = (name: string, seen: Seen) => (name.startsWith('REST') ? seen.status === 403 : true);
      await expectFresh(() => toggle(false), forbidden);
      await expectFresh(() => toggle(true), showing(headline));
    });
  });
});
