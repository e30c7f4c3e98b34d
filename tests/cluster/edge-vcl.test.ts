import { execFile, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import ts from 'typescript';
import { startEdge, type Edge } from '../../scripts/edge';
import { waitFor } from '../../scripts/lib/instances';
import { PurgeError } from '../../src/edge/purger';
import { VarnishPurger } from '../../src/edge/varnish';

/**
 * The shipped edge (deploy/varnish/default.vcl) on a real varnishd, started by `npm run edge`'s
 * startEdge, in front of a small origin that answers the way the service does and can fail or
 * go away. Each test uses its own paths and keys.
 */
const ROOT = join(__dirname, '..', '..');
const SERVICE_CACHE_CONTROL = 'public, max-age=0, must-revalidate';
const SERVICE_SURROGATE_CONTROL = 'max-age=60, stale-while-revalidate=30, stale-if-error=86400';
// The origin's port: outside the ephemeral range, so that no outgoing connection takes it while
// the origin is down, and apart from the other cluster tests' ranges.
const ORIGIN_PORTS = 3600 + (process.pid % 100) * 4;

interface Route {
  status: number;
  surrogateControl?: string;
  cacheControl: string;
  keys: string;
  headers: Record<string, string>;
  delayMs: number;
}

interface Seen {
  url: string;
  headers: IncomingHttpHeaders;
}

/** The service as the edge sees it: per-path answers, every request recorded. */
class Origin {
  private server: Server | null = null;
  private readonly routes = new Map<string, Route>();
  readonly seen: Seen[] = [];
  port = 0;

  route(path: string, change: Partial<Route> = {}): void {
    const name = path.replace(/[^a-z0-9]+/gi, '-');
    const current = this.routes.get(path) ?? {
      status: 200,
      surrogateControl: SERVICE_SURROGATE_CONTROL,
      cacheControl: SERVICE_CACHE_CONTROL,
      keys: `doc:${name} list:${name} permissions`,
      headers: {},
      delayMs: 0,
    };
    this.routes.set(path, { ...current, ...change });
  }

  /** Requests for `path` (query string ignored) that reached the origin. */
  count(path: string): number {
    return this.seen.filter((s) => s.url.split('?')[0] === path).length;
  }

  /** Listens on the first free port from `first`. */
  async start(first: number): Promise<void> {
    for (this.port = first; ; this.port += 1) {
      try {
        return await this.listen();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || this.port - first > 50) throw error;
      }
    }
  }

  /** Listens (again) on its port. */
  async listen(): Promise<void> {
    if (this.server) return;
    const server = createServer((req, res) => void this.answer(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', resolve);
    });
    this.server = server;
  }

  /** Stops listening: the edge's connections are refused. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    if (url === '/_health') {
      res.writeHead(204).end();
      return;
    }
    this.seen.push({ url, headers: req.headers });
    const path = url.split('?')[0];
    const route = this.routes.get(path);
    if (!route) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('no route');
      return;
    }
    if (route.delayMs) await new Promise((r) => setTimeout(r, route.delayMs));
    const headers: Record<string, string> = { 'Content-Type': 'text/plain', 'Cache-Control': route.cacheControl, 'Surrogate-Key': route.keys, 'Cache-Tag': route.keys.replace(/ /g, ','), ...route.headers };
    if (route.surrogateControl !== undefined) headers['Surrogate-Control'] = route.surrogateControl;
    res.writeHead(route.status, headers).end(`${path} #${this.count(path)} status ${route.status}`);
  }
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One request on a connection of its own (no agent left behind). */
function send(url: string, options: { method?: string; headers?: Record<string, string>; localAddress?: string; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: { Connection: 'close', ...options.headers }, agent: false, localAddress: options.localAddress }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let origin: Origin;
let edge: Edge;
const get = (path: string, headers: Record<string, string> = {}) => send(`${edge.url}${path}`, { headers });
const purge = (header: 'xkey-purge' | 'xkey-softpurge', keys: string, localAddress?: string) => send(`${edge.url}/`, { method: 'PURGE', headers: { [header]: keys }, localAddress });

/** Reads `path` until the edge answers with something other than `body`. */
function newerThan(path: string, body: string): Promise<Answer> {
  const read = async () => {
    const answer = await get(path);
    return answer.body === body ? undefined : answer;
  };
  return waitFor(read, 5_000, `a new copy of ${path}`);
}

/** The probe's verdict on the origin, from varnishadm. */
async function originHealth(): Promise<string> {
  const out = await new Promise<string>((resolve, reject) =>
    execFile('varnishadm', ['-n', edge.workdir, 'backend.list', '-j'], (error, stdout) => (error ? reject(error) : resolve(stdout)))
  );
  const [, , , backends] = JSON.parse(out) as [number, string[], number, Record<string, { probe_message: [number, number, string] }>];
  return Object.values(backends)[0].probe_message[2];
}

async function originUp(): Promise<void> {
  await origin.listen();
  await waitFor(async () => ((await originHealth()) === 'healthy' ? true : undefined), 10_000, 'the probe to see the origin again');
}

beforeAll(async () => {
  origin = new Origin();
  await origin.start(ORIGIN_PORTS);
  edge = await startEdge({ listen: `127.0.0.1:${await freePort()}`, origin: `127.0.0.1:${origin.port}`, storage: 'malloc,32m' });
}, 30_000);

afterAll(async () => {
  await edge?.stop();
  await origin?.close();
});

describe('caching', () => {
  it('serves a second read from the edge: the origin is asked once, with X-Edge-Fetch', async () => {
    origin.route('/api/articles/hit');
    const first = await get('/api/articles/hit', { 'X-Edge-Fetch': 'forged' });
    const second = await get('/api/articles/hit');
    expect([first.headers['x-edge-cache'], second.headers['x-edge-cache']]).toEqual(['MISS', 'HIT']);
    expect(second.body).toBe(first.body);
    expect(origin.count('/api/articles/hit')).toBe(1);
    expect(origin.seen.find((s) => s.url === '/api/articles/hit')?.headers['x-edge-fetch']).toBe('1');
    // Varnish's own headers stay; the origin's caching headers go on to a CDN as they were.
    expect(second.headers['x-varnish']).toMatch(/^\d+ \d+$/);
    expect(second.headers.age).toMatch(/^\d+$/);
    expect(second.headers['surrogate-control']).toBe(SERVICE_SURROGATE_CONTROL);
    expect(second.headers['surrogate-key']).toBe('doc:-api-articles-hit list:-api-articles-hit permissions');
    expect(second.headers['cache-tag']).toBe('doc:-api-articles-hit,list:-api-articles-hit,permissions');
    expect(second.headers['cache-control']).toBe(SERVICE_CACHE_CONTROL);
    for (const internal of ['x-edge-swr', 'x-edge-sie', 'xkey']) expect(second.headers[internal]).toBeUndefined();
  });

  it('keeps a copy for max-age, then serves it stale while ONE background fetch refreshes it', async () => {
    origin.route('/api/articles/ttl', { surrogateControl: 'max-age=1, stale-while-revalidate=30, stale-if-error=60', delayMs: 300 });
    const first = await get('/api/articles/ttl');
    expect((await get('/api/articles/ttl')).headers['x-edge-cache']).toBe('HIT');
    await sleep(1_300);
    const stale = await Promise.all([1, 2, 3, 4, 5].map(() => get('/api/articles/ttl')));
    expect(stale.map((a) => a.headers['x-edge-cache'])).toEqual(['STALE', 'STALE', 'STALE', 'STALE', 'STALE']);
    expect(stale.every((a) => a.body === first.body)).toBe(true);
    const fresh = await newerThan('/api/articles/ttl', first.body);
    expect([fresh.headers['x-edge-cache'], fresh.body]).toEqual(['HIT', '/api/articles/ttl #2 status 200']);
    expect(origin.count('/api/articles/ttl')).toBe(2);
  });

  it('shares one copy whatever the order of the query parameters', async () => {
    origin.route('/api/articles/query');
    await get('/api/articles/query?pagination[page]=2&locale=en&sort=title');
    const reordered = await get('/api/articles/query?sort=title&locale=en&pagination[page]=2');
    expect(reordered.headers['x-edge-cache']).toBe('HIT');
    expect(origin.count('/api/articles/query')).toBe(1);
  });

  it('ignores analytics cookies: they neither bypass nor split the cache, nor reach the origin', async () => {
    origin.route('/api/articles/cookie');
    await get('/api/articles/cookie', { Cookie: '_ga=GA1.2.3.4' });
    const other = await get('/api/articles/cookie', { Cookie: '_ga=GA1.9.9.9; theme=dark' });
    expect(other.headers['x-edge-cache']).toBe('HIT');
    expect(origin.count('/api/articles/cookie')).toBe(1);
    expect(origin.seen.find((s) => s.url === '/api/articles/cookie')?.headers.cookie).toBeUndefined();
  });

  it('caches an answer tagged with ~7,900 bytes of keys, and purges it by one of them', async () => {
    const keys = Array.from({ length: 270 }, (_, i) => `doc:big${String(i).padStart(4, '0')}-0123456789abcdef`);
    const value = keys.join(' ');
    expect(value.length).toBeGreaterThan(7_800);
    expect(value.length).toBeLessThan(8_000);
    origin.route('/api/articles/big', { keys: value });
    await get('/api/articles/big');
    expect((await get('/api/articles/big')).headers['x-edge-cache']).toBe('HIT');
    const purged = await purge('xkey-purge', keys[137]);
    expect(purged.status).toBe(200);
    expect(purged.headers['x-purged']).toBe('1');
    expect((await get('/api/articles/big')).headers['x-edge-cache']).toBe('MISS');
    expect(origin.count('/api/articles/big')).toBe(2);
  });
});

describe('never cached', () => {
  // Each: prime a shared copy where there can be one, then two reads of the kind that must pass.
  const cases: Array<[string, string, { method?: string; headers?: Record<string, string>; body?: string }]> = [
    ['a request with Authorization', '/api/articles/auth', { headers: { Authorization: 'Bearer reader-token' } }],
    ['the admin access cookie', '/api/articles/jwt', { headers: { Cookie: '_ga=1; jwtToken=eyJ' } }],
    ['the admin refresh cookie', '/api/articles/refresh', { headers: { Cookie: 'strapi_admin_refresh=abc' } }],
    ["koa-session's cookie", '/api/articles/sess', { headers: { Cookie: 'koa.sess=abc; koa.sess.sig=def' } }],
    ['a draft (status=draft)', '/api/articles/draft?status=draft', {}],
    ['a draft, any spelling (status=DRAFT)', '/api/articles/draft2?locale=en&status=DRAFT', {}],
    ['a preview page', '/news/preview/abc123?token=t.sig', {}],
    ['a POST (GraphQL)', '/graphql', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"query":"{ articles { title } }"}' }],
    ['the admin', '/admin/init', {}],
    ['the content manager', '/content-manager/collection-types/api::article.article', {}],
    ['the content-type builder', '/content-type-builder/content-types', {}],
    ['uploads', '/upload/files', {}],
    ['users-permissions', '/users-permissions/roles', {}],
    ['i18n', '/i18n/locales', {}],
    ['/api/auth', '/api/auth/local', {}],
    ['/api/users', '/api/users/me', {}],
    ['/_ready', '/_ready', {}],
  ];
  it.each(cases)('%s', async (_name, url, options) => {
    const path = url.split('?')[0];
    // The origin here says "share it", as a bug might: the edge must not.
    origin.route(path);
    await get(url);
    const before = origin.count(path);
    const answers = [await send(`${edge.url}${url}`, options), await send(`${edge.url}${url}`, options)];
    expect(answers.map((a) => a.headers['x-edge-cache'])).toEqual(['PASS', 'PASS']);
    expect(origin.count(path)).toBe(before + 2);
  });

  const answers: Array<[string, Partial<Route>]> = [
    ['Cache-Control: private', { cacheControl: 'private, no-store' }],
    ['Cache-Control: no-store', { cacheControl: 'no-store' }],
    ['Cache-Control: no-cache', { cacheControl: 'no-cache' }],
    ['Set-Cookie', { headers: { 'Set-Cookie': 'koa.sess=abc; path=/; httponly' } }],
    ['no Surrogate-Control', { surrogateControl: undefined }],
    ['Surrogate-Control without max-age', { surrogateControl: 'stale-while-revalidate=30, stale-if-error=60' }],
    ['a 404', { status: 404 }],
  ];
  it.each(answers)('an answer with %s', async (name, change) => {
    const path = `/api/articles/answer-${name.replace(/[^a-z0-9]+/gi, '-')}`;
    origin.route(path, change);
    const [first, second] = [await get(path), await get(path)];
    expect([first.headers['x-edge-cache'], second.headers['x-edge-cache']]).toEqual(['PASS', 'PASS']);
    expect(origin.count(path)).toBe(2);
  });
});

describe('purges', () => {
  it('soft: the next reader gets the stale copy while ONE background fetch refreshes it, then the new one', async () => {
    origin.route('/api/articles/soft', { delayMs: 300 });
    const first = await get('/api/articles/soft');
    const purged = await purge('xkey-softpurge', 'doc:-api-articles-soft');
    expect(purged.status).toBe(200);
    expect(purged.headers['x-purged']).toBe('1');
    // (A client cannot force a refetch with the edge's internal flag.)
    const stale = await Promise.all([1, 2, 3].map(() => get('/api/articles/soft', { 'X-Edge-Refresh': '1' })));
    expect(stale.map((a) => [a.headers['x-edge-cache'], a.body])).toEqual([1, 2, 3].map(() => ['STALE', first.body]));
    const fresh = await newerThan('/api/articles/soft', first.body);
    expect([fresh.headers['x-edge-cache'], fresh.body]).toEqual(['HIT', '/api/articles/soft #2 status 200']);
    expect(origin.count('/api/articles/soft')).toBe(2);
  });

  it('hard: the next reader misses and gets the new copy', async () => {
    origin.route('/api/articles/hard');
    await get('/api/articles/hard');
    // Keys may be separated by spaces or commas; unknown keys are no error.
    const purged = await purge('xkey-purge', 'doc:unknown, list:-api-articles-hard');
    expect([purged.status, purged.headers['x-purged']]).toEqual([200, '1']);
    const next = await get('/api/articles/hard');
    expect([next.headers['x-edge-cache'], next.body]).toEqual(['MISS', '/api/articles/hard #2 status 200']);
  });

  it('is refused from outside the purgers ACL (403), and purges nothing', async () => {
    origin.route('/api/articles/acl');
    await get('/api/articles/acl');
    expect((await purge('xkey-purge', 'doc:-api-articles-acl', '127.0.0.2')).status).toBe(403);
    expect((await purge('xkey-softpurge', 'doc:-api-articles-acl', '127.0.0.2')).status).toBe(403);
    expect((await get('/api/articles/acl')).headers['x-edge-cache']).toBe('HIT');
    expect(origin.count('/api/articles/acl')).toBe(1);
  });

  it('needs a key header (400)', async () => {
    expect((await send(`${edge.url}/`, { method: 'PURGE' })).status).toBe(400);
  });
});

describe('an origin answering 5xx', () => {
  it('past stale-while-revalidate: the last good copy is served (stale-if-error), and replaced once the origin recovers', async () => {
    origin.route('/api/articles/sie', { surrogateControl: 'max-age=1, stale-while-revalidate=1, stale-if-error=60' });
    const good = await get('/api/articles/sie');
    await sleep(2_300);
    origin.route('/api/articles/sie', { status: 503 });
    const served = await get('/api/articles/sie');
    expect([served.status, served.headers['x-edge-cache'], served.body]).toEqual([200, 'STALE', good.body]);
    // The origin was asked (the copy is past stale-while-revalidate) and said 503.
    expect(origin.count('/api/articles/sie')).toBe(2);
    origin.route('/api/articles/sie', { status: 200 });
    // (A client cannot ask for the stale copy with the edge's internal flag.)
    const recovered = await get('/api/articles/sie', { 'X-Edge-Stale-Ok': '1' });
    expect([recovered.status, recovered.headers['x-edge-cache'], recovered.body]).toEqual([200, 'MISS', '/api/articles/sie #3 status 200']);
  });

  it('within stale-while-revalidate: a background fetch that fails keeps the copy', async () => {
    origin.route('/api/articles/bgfail', { surrogateControl: 'max-age=1, stale-while-revalidate=30, stale-if-error=60' });
    const good = await get('/api/articles/bgfail');
    await sleep(1_300);
    origin.route('/api/articles/bgfail', { status: 503 });
    expect((await get('/api/articles/bgfail')).body).toBe(good.body);
    await waitFor(async () => (origin.count('/api/articles/bgfail') === 2 ? true : undefined), 5_000, 'the background fetch');
    await sleep(200);
    const again = await get('/api/articles/bgfail');
    expect([again.status, again.headers['x-edge-cache'], again.body]).toEqual([200, 'STALE', good.body]);
  });

  it("with no copy to fall back on: the reader gets the origin's answer, and nothing is kept", async () => {
    origin.route('/api/articles/fails', { status: 500 });
    expect([(await get('/api/articles/fails')).status, (await get('/api/articles/fails')).status]).toEqual([500, 500]);
    expect(origin.count('/api/articles/fails')).toBe(2);
  });

  it('an answer with only max-age (an embargo end) is never served past it', async () => {
    origin.route('/api/articles/embargo', { surrogateControl: 'max-age=1' });
    const first = await get('/api/articles/embargo');
    expect((await get('/api/articles/embargo')).headers['x-edge-cache']).toBe('HIT');
    await sleep(1_300);
    origin.route('/api/articles/embargo', { status: 503 });
    const after = await get('/api/articles/embargo');
    expect(after.status).toBe(503);
    expect(after.body).not.toBe(first.body);
  });
});

describe('an origin that is down', () => {
  let lastGood: string;
  let embargoed: string;
  let hardPurged: string;

  beforeAll(async () => {
    origin.route('/api/articles/down-sie', { surrogateControl: 'max-age=1, stale-while-revalidate=1, stale-if-error=60' });
    origin.route('/api/articles/down-embargo', { surrogateControl: 'max-age=1' });
    origin.route('/api/articles/down-hard');
    lastGood = (await get('/api/articles/down-sie')).body;
    embargoed = (await get('/api/articles/down-embargo')).body;
    hardPurged = (await get('/api/articles/down-hard')).body;
    expect((await purge('xkey-purge', 'doc:-api-articles-down-hard')).status).toBe(200);
    await sleep(2_300);
    await origin.close();
  });

  afterAll(originUp, 15_000);

  async function expectOnlyTheLastGoodCopy(): Promise<void> {
    const sie = await get('/api/articles/down-sie');
    expect([sie.status, sie.headers['x-edge-cache'], sie.body]).toEqual([200, 'STALE', lastGood]);
    const embargo = await get('/api/articles/down-embargo');
    expect(embargo.status).toBe(503);
    expect(embargo.body).not.toBe(embargoed);
    const hard = await get('/api/articles/down-hard');
    expect(hard.status).toBe(503);
    expect(hard.body).not.toBe(hardPurged);
  }

  it('connections refused (the probe has not noticed yet): stale-if-error copies only', async () => {
    expect(await originHealth()).toBe('healthy');
    await expectOnlyTheLastGoodCopy();
  });

  it('marked sick by the probe within ~3 s: stale-if-error copies only', async () => {
    await waitFor(async () => ((await originHealth()) === 'sick' ? true : undefined), 4_000, 'the probe to mark the origin sick');
    await expectOnlyTheLastGoodCopy();
  });
});

describe('VarnishPurger', () => {
  it('soft-purges through the edge', async () => {
    origin.route('/api/articles/purger-soft');
    const first = await get('/api/articles/purger-soft');
    const purger = new VarnishPurger(`${edge.url}/`);
    expect(purger.id).toBe(`varnish:${edge.url}`);
    await purger.purge({ keys: ['doc:-api-articles-purger-soft'], hard: false });
    const next = await get('/api/articles/purger-soft');
    expect([next.headers['x-edge-cache'], next.body]).toEqual(['STALE', first.body]);
  });

  it('hard-purges many keys in requests that each stay under the header limit', async () => {
    origin.route('/api/articles/purger-hard');
    await get('/api/articles/purger-hard');
    const keys = [...Array.from({ length: 700 }, (_, i) => `doc:other-${i}-0123456789abcdef`), 'doc:-api-articles-purger-hard'];
    const calls = jest.spyOn(globalThis, 'fetch');
    try {
      await new VarnishPurger(edge.url).purge({ keys, hard: true });
      expect(calls.mock.calls.length).toBeGreaterThan(2);
      for (const [, init] of calls.mock.calls) {
        const value = (init?.headers as Record<string, string>)['xkey-purge'];
        expect(Buffer.byteLength(value)).toBeLessThan(7_000);
      }
      const sent = calls.mock.calls.flatMap(([, init]) => (init?.headers as Record<string, string>)['xkey-purge'].split(' '));
      expect(sent).toEqual(keys);
    } finally {
      calls.mockRestore();
    }
    expect((await get('/api/articles/purger-hard')).headers['x-edge-cache']).toBe('MISS');
  });

  it('rejects with a PurgeError naming the endpoint when it is down or refuses', async () => {
    const down = `http://127.0.0.1:${await freePort()}`;
    const refused = new VarnishPurger(down).purge({ keys: ['doc:x'], hard: true });
    await expect(refused).rejects.toBeInstanceOf(PurgeError);
    await expect(refused).rejects.toThrow(down);

    const failing = createServer((_req, res) => res.writeHead(405).end());
    await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(failing.address() as AddressInfo).port}`;
    try {
      await expect(new VarnishPurger(url).purge({ keys: ['doc:x'], hard: false })).rejects.toThrow(new RegExp(`${url}/.*405`));
    } finally {
      failing.closeAllConnections();
      await new Promise<void>((resolve) => failing.close(() => resolve()));
    }
  });
});

describe('npm run edge', () => {
  // The script as `npm run edge` runs it, compiled, under .tmp/ so that it finds the VCL and zod.
  const dir = join(ROOT, '.tmp', `edge-cli-${process.pid}`);
  const script = join(dir, 'edge.js');

  beforeAll(() => {
    const source = readFileSync(join(ROOT, 'scripts', 'edge.ts'), 'utf8');
    const { outputText } = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } });
    mkdirSync(dir, { recursive: true });
    writeFileSync(script, outputText);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = (args: string[], env: Record<string, string>) =>
    new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn(process.execPath, [script, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.on('exit', (code) => resolve({ code, output }));
    });

  it('without varnishd: one line saying how to install it, exit 2', async () => {
    const { code, output } = await run([], { PATH: '/nonexistent', VARNISHD: '/nonexistent/varnishd' });
    expect(code).toBe(2);
    expect(output.trim().split('\n')).toHaveLength(1);
    expect(output).toContain('apt-get install varnish varnish-modules');
  });

  it('with a bad flag: one line, exit 1', async () => {
    const { code, output } = await run(['--listen', 'nowhere'], { PATH: process.env.PATH ?? '' });
    expect(code).toBe(1);
    expect(output.trim().split('\n')).toHaveLength(1);
    expect(output).toContain('--listen');
  });
});
