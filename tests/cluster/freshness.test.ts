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

  /**
   * Each test has a story of its own (its headline, its credit, a word of its body for search),
   * imported before the tests: no test reads what another one wrote.
   */
  interface Story {
    headline: string;
    creditName: string;
    word: string;
    documentId: string;
    slug: string;
    creditId: string;
  }
  const KEYS = ['admin', 'contentApi', 'graphql', 'importer', 'credit', 'image', 'bulk', 'permission'] as const;
  type Key = (typeof KEYS)[number];
  const stories = {} as Record<Key, Story>;
  const STORY = (headline: string, credit: string, word: string) => `${headline}\n\nA crane at dawn. Credit: ${credit}\n\nThe harbour reopened on Monday after a week of ${word} repairs.\n`;
  const fileOf = (key: Key) => join(dir, `fresh_${key}.txt`);

  beforeAll(async () => {
    databaseUrl = await createDatabase(SERVER, 'news_fresh');
    dir = mkdtempSync(join(tmpdir(), 'news-fresh-'));
    const env = { DATABASE_URL: databaseUrl, REDIS_URL: redisUrl, PUBLIC_URL: 'http://news.test', CACHE_TTL: '3600' };
    const port = 1700 + (process.pid % 100) * 4 + (redisUrl ? 0 : 2);
    [a, b] = await Promise.all([startInstance(port, env), startInstance(port + 1, env)]);
    for (const key of KEYS) {
      const word = `zq${key.toLowerCase()}word`;
      stories[key] = { headline: `Harbour cranes return (${key} story)`, creditName: `Freshness Agency ${key}`, word, documentId: '', slug: '', creditId: '' };
      writeFileSync(fileOf(key), STORY(stories[key].headline, stories[key].creditName, word));
    }
    const imported = await runCli(['import', dir], { DATABASE_URL: databaseUrl });
    expect(imported.code).toBe(0);
    for (const key of KEYS) {
      const url = `${a.baseUrl}/api/articles?filters[headline][$eq]=${encodeURIComponent(stories[key].headline)}`;
      const list = (await (await fetch(url)).json()) as { data: Array<{ documentId: string; slug: string; lead: { credit: { documentId: string } } }> };
      expect(list.data).toHaveLength(1);
      Object.assign(stories[key], { documentId: list.data[0].documentId, slug: list.data[0].slug, creditId: list.data[0].lead.credit.documentId });
    }
    admin = await adminClient(a.baseUrl);
    const created = await admin.call('POST', '/admin/api-tokens', { name: 'freshness', description: 'test', type: 'full-access', lifespan: null });
    token = (created.body as { data: { accessKey: string } }).data.accessKey;
    expect(token).toBeTruthy();
  }, 240_000);

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

  const representations = (story: Story): Representation[] => [
    { name: 'REST by id', read: get(`/api/articles/${story.documentId}`) },
    { name: 'REST by slug', read: get(`/api/articles?filters[slug][$eq]=${story.slug}`) },
    { name: 'REST list', read: get('/api/articles?pagination[pageSize]=100') },
    { name: 'REST list by credit', read: get(`/api/articles?filters[credits][name][$eq]=${encodeURIComponent(story.creditName)}`) },
    { name: 'GraphQL', read: graphql(`{ article(documentId: "${story.documentId}") { headline lead { caption alt credit { name } image { alternativeText } } } }`) },
    { name: 'JSON-LD', read: get(`/api/articles/${story.documentId}/jsonld`) },
    { name: 'ninjs', read: get(`/api/articles/${story.documentId}/ninjs`) },
    { name: 'reader page', read: get(`/news/${story.slug}`) },
    { name: 'RSS', read: get('/rss.xml') },
    // Search (a word of the body, which no write here changes): its hit shows the headline.
    { name: 'REST search', read: get(`/api/search?q=${story.word}`) },
  ];

  /** Both instances answer every representation from their caches (and show `before`). */
  async function warm(story: Story, shows: (name: string, seen: Seen) => boolean): Promise<void> {
    for (const instance of [a, b]) {
      for (const rep of representations(story)) {
        await rep.read(instance.baseUrl);
        const seen = await rep.read(instance.baseUrl);
        expect([rep.name, shows(rep.name, seen)]).toEqual([rep.name, true]);
        if (seen.status === 200) expect([rep.name, instance.port, seen.cache]).toEqual([rep.name, instance.port, 'hit']);
      }
    }
  }

  /** After `write`, every representation on both instances is fresh within 1 s, and stays so. */
  async function expectFresh(story: Story, write: () => Promise<void>, fresh: (name: string, seen: Seen) => boolean): Promise<void> {
    await write();
    const written = Date.now();
    const lateness: string[] = [];
    await Promise.all(
      [a, b].flatMap((instance) =>
        representations(story).map(async (rep) => {
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
        for (const rep of representations(story)) {
          const seen = await rep.read(instance.baseUrl);
          expect([rep.name, instance.port, fresh(rep.name, seen)]).toEqual([rep.name, instance.port, true]);
        }
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** A published article shows `text` (and not `old`) in every representation. */
  const showing = (text: string, old?: string) => (_name: string, seen: Seen) =>
    seen.status === 200 && seen.text.includes(text) && (old === undefined || !seen.text.includes(old));

  describe('after every write path, every representation on both instances is fresh within 1 s', () => {
    /** A new headline for `story`, written by `write`: fresh everywhere, the old one nowhere. */
    async function rewrite(key: Key, headline: string, write: (story: Story) => Promise<void>): Promise<void> {
      const story = stories[key];
      await warm(story, showing(story.headline));
      const old = story.headline;
      await expectFresh(story, () => write({ ...story, headline }), showing(headline, old));
    }

    it('an admin publish (content manager, on A)', () =>
      rewrite('admin', 'Admin publish: cranes back in the harbour', (story) => admin.publishHeadline(story.documentId, story.headline)));

    it('a content-API update with a full-access token (publishes in Strapi 5, on B)', () =>
      rewrite('contentApi', 'Content API: harbour cranes working again', (story) => contentApiHeadline(b.baseUrl, token, story.documentId, story.headline)));

    it('a GraphQL mutation (on A)', () =>
      rewrite('graphql', 'GraphQL: the harbour is busy again', (story) => graphqlHeadline(a.baseUrl, token, story.documentId, story.headline)));

    it('the importer (another process)', () =>
      rewrite('importer', 'Importer: harbour cranes return for good', async (story) => {
        writeFileSync(fileOf('importer'), STORY(story.headline, story.creditName, story.word));
        // Run as an operator runs it: with the servers' environment (the purge travels on their bus).
        const result = await runCli(['import', '--force', fileOf('importer')], { DATABASE_URL: databaseUrl, REDIS_URL: redisUrl });
        expect(result.code).toBe(0);
      }));

    it('a credit renamed (content API, on B): lists by the new name include it, formats show it', async () => {
      const story = stories.credit;
      // A search hit and the feed do not show credits: they show the article.
      const NO_CREDIT = ['REST search', 'RSS'];
      await warm(story, (name, seen) => seen.status === 200 && seen.text.includes(NO_CREDIT.includes(name) ? story.headline : story.creditName));
      const old = story.creditName;
      const renamed = { ...story, creditName: `Renamed Photo Agency ${story.word}` };
      await expectFresh(
        renamed,
        () => renameCredit(b.baseUrl, token, story.creditId, renamed.creditName),
        (name, seen) => seen.status === 200 && !seen.text.includes(old) && seen.text.includes(NO_CREDIT.includes(name) ? story.headline : renamed.creditName)
      );
      const searchOld = (await (await fetch(`${b.baseUrl}/api/search?q=${encodeURIComponent(`"${old}"`)}`)).json()) as { data: unknown[] };
      expect(searchOld.data).toEqual([]);
      const byOld = (await (await fetch(`${a.baseUrl}/api/articles?filters[credits][name][$eq]=${encodeURIComponent(old)}`)).json()) as { data: unknown[] };
      expect(byOld.data).toEqual([]);
    });

    it('an image file edited in the media library (alt text, on A)', async () => {
      const story = stories.image;
      // The lead photo gets a file (an admin publish), then the file's alt text is edited.
      const fileId = await leadImage(a.baseUrl, admin, story.documentId, 'first alt text');
      const IMAGE_SHOWN_IN = ['REST by id', 'REST by slug', 'REST list', 'REST list by credit', 'GraphQL'];
      const shows = (alt: string, old?: string) => (name: string, seen: Seen) =>
        seen.status === 200 && seen.text.includes(story.headline) && (old === undefined || !seen.text.includes(old)) && (!IMAGE_SHOWN_IN.includes(name) || seen.text.includes(alt));
      await warm(story, shows('first alt text'));
      await expectFresh(story, () => editAltText(a.baseUrl, admin, fileId, 'second alt text'), shows('second alt text', 'first alt text'));
    });

    it('a bulk unpublish (content manager) takes it down everywhere; a bulk publish brings it back', async () => {
      const story = stories.bulk;
      await warm(story, showing(story.headline));
      const gone = (name: string, seen: Seen) => {
        if (['REST by id', 'JSON-LD', 'ninjs', 'reader page'].includes(name)) return seen.status === 404;
        if (name === 'GraphQL') return seen.status === 200 && seen.text.includes('"article":null');
        return seen.status === 200 && !seen.text.includes(story.documentId) && !seen.text.includes(story.headline);
      };
      await expectFresh(story, () => bulk(admin, 'bulkUnpublish', story.documentId), gone);
      await expectFresh(story, () => bulk(admin, 'bulkPublish', story.documentId), showing(story.headline));
    });

    it('a permission change (the Public role loses articles): every representation on every instance answers 403 at once; restored, 200', async () => {
      const story = stories.permission;
      await warm(story, showing(story.headline));
      const toggle = await publicArticleReads(admin);
      const forbidden = (name: string, seen: Seen) =>
        (name === 'GraphQL' ? seen.text.includes('"code":"FORBIDDEN"') && seen.text.includes('"article":null') : seen.status === 403) && !seen.text.includes(story.headline);
      try {
        await expectFresh(story, () => toggle(false), forbidden);
      } finally {
        await toggle(true);
      }
      await expectFresh(story, async () => undefined, showing(story.headline));
    });
  });
});
