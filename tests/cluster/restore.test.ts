import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEdge, type Edge } from '../../scripts/edge';
import { adminClient, createDatabase, dropDatabase, runCli, startInstance, waitFor, type Instance } from '../../scripts/lib/instances';
import { freePort } from '../../src/runtime/embedded-postgres';

/**
 * A restore behind a real Varnish: the edge holds copies of what was written after the backup,
 * with lifetimes of an hour. Once the restored installation serves, no reader may get those
 * copies: the restore purges the edge when it is told of it, and otherwise the first server to
 * start with the edge configured does.
 */
const SERVER = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

interface Seen {
  status: number;
  text: string;
  edge: string | null;
}

const running: Array<Instance | Edge> = [];
const databases: string[] = [];
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'news-restore-edge-'));
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((proc) => ('baseUrl' in proc ? proc.stop('SIGTERM', 20_000) : proc.stop())));
  for (const url of databases.splice(0)) await dropDatabase(url);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** One installation behind its own edge, with a story whose headline changed after the backup. */
async function restoredBehindEdge(name: string, restoreWithEdge: boolean): Promise<{ read: (path: string) => Promise<Seen>; paths: string[]; restoreOutput: string; start(): Promise<void> }> {
  const databaseUrl = await createDatabase(SERVER, 'news_restore');
  databases.push(databaseUrl);
  const [port, edgePort] = [await freePort(), await freePort()];
  const edge = await startEdge({ listen: `127.0.0.1:${edgePort}`, origin: `127.0.0.1:${port}` });
  running.push(edge);
  const env = { DATABASE_URL: databaseUrl, PUBLIC_URL: 'http://news.test', CACHE_TTL: '3600', SURROGATE_MAX_AGE: '3600', SURROGATE_STALE_WHILE_REVALIDATE: '60', SURROGATE_STALE_IF_ERROR: '3600', EDGE_PURGE_URLS: edge.url };
  const start = async () => {
    const instance = await startInstance(port, env);
    expect(instance.port).toBe(port); // the edge's origin
    running.push(instance);
    // The edge's health probe seeing the origin again (it was down: Varnish answers 503 until then).
    await waitFor(async () => ((await fetch(`${edge.url}/_health`)).status === 204 ? true : undefined), 15_000, 'the edge to see the origin');
    return instance;
  };
  const first = await start();

  const file = join(dir, `${name}.txt`);
  writeFileSync(file, `The restored headline of ${name}\n\nThe keepers relit the lamp on Friday.\n`);
  expect((await runCli(['import', file], env)).code).toBe(0);
  const list = (await (await fetch(`${first.baseUrl}/api/articles`)).json()) as { data: Array<{ documentId: string; slug: string }> };
  const { documentId, slug } = list.data[0];
  const archive = join(dir, `${name}.backup`);
  const backup = await runCli(['backup', archive], env);
  expect([backup.code, backup.output]).toEqual([0, expect.stringContaining('backup: wrote')]);

  const admin = await adminClient(first.baseUrl);
  await admin.publishHeadline(documentId, `Written after the backup of ${name}`);
  const paths = [`/api/articles/${documentId}`, `/api/articles?filters[slug][$eq]=${slug}`, '/api/articles', `/news/${slug}`, '/rss.xml'];
  const read = async (path: string): Promise<Seen> => {
    const response = await fetch(`${edge.url}${path}`);
    return { status: response.status, text: await response.text(), edge: response.headers.get('x-edge-cache') };
  };
  // Every representation of the later headline cached at the edge, for an hour.
  for (const path of paths) {
    await waitFor(async () => {
      const seen = await read(path);
      return seen.status === 200 && seen.text.includes('Written after the backup') && seen.edge === 'HIT' ? true : undefined;
    }, 5000, `${path} cached at the edge`);
  }
  await first.stop('SIGTERM', 20_000);

  const restoreEnv: Record<string, string | undefined> = { ...env, EDGE_PURGE_URLS: restoreWithEdge ? edge.url : undefined };
  const restored = await runCli(['restore', '--force', archive], restoreEnv);
  expect([restored.code, restored.output]).toEqual([0, expect.stringContaining('restore: ')]);
  return { read, paths, restoreOutput: restored.output, start: async () => void (await start()) };
}

const restoredOnly = (seen: Seen) => seen.status === 200 && seen.text.includes('The restored headline') && !seen.text.includes('Written after the backup');
/** 'restored', or what was seen instead (for the failure's message). */
const shown = (seen: Seen) => (restoredOnly(seen) ? 'restored' : `${seen.status} ${seen.edge} ${seen.text.slice(0, 300)}`);

describe('after a restore, the edge serves the restored content, never what it cached before', () => {
  it('the restore told of the edge purges it itself: nothing from before is served even before a server starts', async () => {
    const drill = await restoredBehindEdge('told', true);
    expect(drill.restoreOutput).toMatch(/purged here and at the edge/);
    // No server yet: the edge has nothing left to serve of what it held (no stale copy either).
    for (const path of drill.paths) expect((await drill.read(path)).text).not.toContain('Written after the backup');
    await drill.start();
    for (const path of drill.paths) expect([path, shown(await drill.read(path))]).toEqual([path, 'restored']);
  }, 240_000);

  it('the restore not told of the edge: the first server to start purges it as it boots', async () => {
    const drill = await restoredBehindEdge('untold', false);
    expect(drill.restoreOutput).toMatch(/the first server to start with an edge configured purges it/);
    await drill.start();
    for (const path of drill.paths) expect([path, shown(await drill.read(path))]).toEqual([path, 'restored']);
  }, 240_000);
});
