/**
 * The Fastly and Cloudflare purgers against a local HTTP server that answers as the two APIs
 * document (see the comments at the top of src/edge/fastly.ts and src/edge/cloudflare.ts). Not
 * proven against the real services: what is proven is the request each sends, how each splits
 * and spaces its calls, and what each makes of the documented answers.
 */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudflarePurger, cdnPurgers, type RateLimit } from '../../src/edge/cloudflare';
import { FastlyPurger } from '../../src/edge/fastly';
import { PurgeError } from '../../src/edge/purger';
import { EnvError, readEnv } from '../../src/env';

interface Recorded {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
  /** performance.now() when the request arrived. */
  at: number;
}

interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

type Handler = (request: Recorded) => Answer | Promise<Answer> | 'hang';

/** What the real APIs answer to a purge that works. */
function documentedAnswer(request: Recorded): Answer {
  if (/^\/service\/[^/]+\/purge$/.test(request.path)) {
    const keys = (request.body as { surrogate_keys: string[] }).surrogate_keys;
    return { status: 200, body: Object.fromEntries(keys.map((key, i) => [key, `108-1391560174-${974124 + i}`])) };
  }
  if (/\/zones\/[^/]+\/purge_cache$/.test(request.path)) {
    return { status: 200, body: { success: true, errors: [], messages: [], result: { id: '023e105f4ecef8ad9ca31a8372d0c353' } } };
  }
  return { status: 404, body: { msg: 'Record not found' } };
}

class FakeApi {
  requests: Recorded[] = [];
  handler: Handler = documentedAnswer;
  url = '';
  private readonly hanging = new Set<ServerResponse>();
  private readonly server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // kept as text
      }
      const recorded: Recorded = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, at: performance.now() };
      this.requests.push(recorded);
      const answer = this.handler(recorded);
      if (answer === 'hang') {
        this.hanging.add(res);
        res.on('close', () => this.hanging.delete(res));
        return;
      }
      void Promise.resolve(answer).then((ready) => {
        const payload = typeof ready.body === 'string' ? ready.body : JSON.stringify(ready.body ?? {});
        res.writeHead(ready.status, { 'content-type': 'application/json', ...ready.headers });
        res.end(payload);
      });
    });
  });

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  reset(): void {
    this.requests = [];
    this.handler = documentedAnswer;
    for (const res of this.hanging) res.destroy();
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.server.close((error) => (error ? reject(error) : resolve())));
  }
}

/**
 * Answers as Cloudflare does when its token bucket is empty: 429 with retry-after. A call counts
 * when it is answered, the latest moment the real API could count it (the request may spend that
 * long on its way); `firstAnswerDelayMs` makes the first call a slow one.
 */
function cloudflareWithBucket(rate: RateLimit, firstAnswerDelayMs = 0): Handler {
  let tokens = rate.burst;
  let refilledAt = performance.now();
  let calls = 0;
  return async (request) => {
    calls += 1;
    if (calls === 1 && firstAnswerDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, firstAnswerDelayMs));
    const now = performance.now();
    tokens = Math.min(rate.burst, tokens + ((now - refilledAt) * rate.requests) / rate.intervalMs);
    refilledAt = now;
    // 2% grace for timer and clock jitter between the two ends of the socket.
    if (tokens < 0.98) {
      return { status: 429, headers: { 'retry-after': '1' }, body: { success: false, errors: [{ code: 971, message: 'Please wait and consider throttling your request speed' }], messages: [], result: null } };
    }
    tokens -= 1;
    return documentedAnswer(request);
  };
}

function keys(count: number, prefix = 'doc:article:'): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${i}`);
}

async function rejection(promise: Promise<unknown>): Promise<PurgeError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(PurgeError);
    return error as PurgeError;
  }
  throw new Error('expected the purge to be rejected');
}

const api = new FakeApi();
beforeAll(() => api.start());
afterEach(() => api.reset());
afterAll(() => api.stop());

describe('FastlyPurger', () => {
  const fastly = (options: { timeoutMs?: number } = {}) => new FastlyPurger({ serviceId: 'SU1Z0isxPaozGVKXdv0eY', token: 'fastly-token', apiUrl: api.url, ...options });

  it('is named after its service', () => {
    expect(fastly().id).toBe('fastly:SU1Z0isxPaozGVKXdv0eY');
  });

  it('sends a soft purge as one bulk call: Fastly-Key, JSON surrogate_keys, Fastly-Soft-Purge: 1', async () => {
    await fastly().purge({ keys: ['doc:article:1', 'list:article'], hard: false });
    expect(api.requests).toHaveLength(1);
    const [call] = api.requests;
    expect(call.method).toBe('POST');
    expect(call.path).toBe('/service/SU1Z0isxPaozGVKXdv0eY/purge');
    expect(call.headers['fastly-key']).toBe('fastly-token');
    expect(call.headers.accept).toBe('application/json');
    expect(call.headers['content-type']).toBe('application/json');
    expect(call.headers['fastly-soft-purge']).toBe('1');
    expect(call.body).toEqual({ surrogate_keys: ['doc:article:1', 'list:article'] });
  });

  it('sends a hard purge without Fastly-Soft-Purge', async () => {
    await fastly().purge({ keys: ['doc:article:1'], hard: true });
    expect(api.requests).toHaveLength(1);
    expect(api.requests[0].headers['fastly-soft-purge']).toBeUndefined();
    expect(api.requests[0].body).toEqual({ surrogate_keys: ['doc:article:1'] });
  });

  it('splits 600 keys into calls of 256, 256 and 88, each key sent once', async () => {
    const all = keys(600);
    await fastly().purge({ keys: [...all, ...all.slice(0, 50)], hard: false });
    const sent = api.requests.map((call) => (call.body as { surrogate_keys: string[] }).surrogate_keys);
    expect(sent.map((batch) => batch.length)).toEqual([256, 256, 88]);
    expect(sent.flat().sort()).toEqual([...all].sort());
  });

  it('makes no call for no keys', async () => {
    await fastly().purge({ keys: [], hard: false });
    expect(api.requests).toHaveLength(0);
  });

  it('rejects a 429 with retryAfterMs from Retry-After in seconds', async () => {
    api.handler = () => ({ status: 429, headers: { 'retry-after': '7' }, body: { msg: 'Too many requests' } });
    const error = await rejection(fastly().purge({ keys: ['a'], hard: false }));
    expect(error.retryAfterMs).toBe(7000);
    expect(error.message).toContain('429');
  });

  it('rejects a 429 with retryAfterMs from a Retry-After HTTP date', async () => {
    api.handler = () => ({ status: 429, headers: { 'retry-after': new Date(Date.now() + 30_000).toUTCString() } });
    const error = await rejection(fastly().purge({ keys: ['a'], hard: false }));
    expect(error.retryAfterMs).toBeGreaterThan(28_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(30_000);
  });

  it('rejects a 429 without Retry-After with retryAfterMs from Fastly-RateLimit-Reset (epoch seconds)', async () => {
    const reset = Math.floor(Date.now() / 1000) + 60;
    api.handler = () => ({ status: 429, headers: { 'fastly-ratelimit-remaining': '0', 'fastly-ratelimit-reset': String(reset) } });
    const error = await rejection(fastly().purge({ keys: ['a'], hard: false }));
    expect(error.retryAfterMs).toBeGreaterThan(58_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(60_000);
  });

  it('rejects a 5xx with the status and Fastly\'s message, and sends no further batch', async () => {
    api.handler = (request) => (api.requests.length === 2 ? { status: 503, body: { msg: 'Service unavailable', detail: 'try later' } } : documentedAnswer(request));
    const error = await rejection(fastly().purge({ keys: keys(600), hard: false }));
    expect(error.message).toMatch(/HTTP 503: Service unavailable \(try later\)/);
    expect(error.message).not.toContain('fastly-token');
    expect(error.retryAfterMs).toBeUndefined();
    expect(api.requests).toHaveLength(2);
  });

  it('rejects a 2xx that is not Fastly\'s answer', async () => {
    api.handler = () => ({ status: 200, headers: { 'content-type': 'text/html' }, body: '<html>captive portal</html>' });
    const error = await rejection(fastly().purge({ keys: ['a'], hard: false }));
    expect(error.message).toContain('captive portal');
  });

  it('rejects a call that gets no answer within the timeout', async () => {
    api.handler = () => 'hang';
    const started = performance.now();
    const error = await rejection(fastly({ timeoutMs: 200 }).purge({ keys: ['a'], hard: false }));
    expect(error.message).toContain('no answer within 200 ms');
    expect(performance.now() - started).toBeLessThan(5000);
  }, 10_000);
});

describe('CloudflarePurger', () => {
  const cloudflare = (options: { rateLimit?: RateLimit; tagsPerCall?: number; timeoutMs?: number } = {}) =>
    new CloudflarePurger({ zoneId: '023e105f4ecef8ad9ca31a8372d0c353', token: 'cf-token', apiUrl: `${api.url}/client/v4`, ...options });

  it('is named after its zone', () => {
    expect(cloudflare().id).toBe('cloudflare:023e105f4ecef8ad9ca31a8372d0c353');
  });

  it('purges by tag with a bearer token; soft or hard, the call is the same (a hard purge)', async () => {
    await cloudflare().purge({ keys: ['doc:article:1', 'list:article'], hard: false });
    await cloudflare().purge({ keys: ['doc:article:1', 'list:article'], hard: true });
    expect(api.requests).toHaveLength(2);
    for (const call of api.requests) {
      expect(call.method).toBe('POST');
      expect(call.path).toBe('/client/v4/zones/023e105f4ecef8ad9ca31a8372d0c353/purge_cache');
      expect(call.headers.authorization).toBe('Bearer cf-token');
      expect(call.headers['content-type']).toBe('application/json');
      expect(call.body).toEqual({ tags: ['doc:article:1', 'list:article'] });
    }
    expect(api.requests[0].headers).toEqual(api.requests[1].headers);
  });

  it('splits tags into calls of at most 100 (Cloudflare\'s per-request limit)', async () => {
    await cloudflare().purge({ keys: keys(250), hard: false });
    expect(api.requests.map((call) => (call.body as { tags: string[] }).tags.length)).toEqual([100, 100, 50]);
    await cloudflare({ tagsPerCall: 500 }).purge({ keys: keys(150), hard: false });
    expect(api.requests.slice(3).map((call) => (call.body as { tags: string[] }).tags.length)).toEqual([100, 50]);
  });

  it('spreads a burst of calls over time to keep within the rate limit, rather than being refused', async () => {
    const rate: RateLimit = { requests: 2, intervalMs: 500, burst: 2 };
    api.handler = cloudflareWithBucket(rate);
    const started = performance.now();
    await cloudflare({ rateLimit: rate, tagsPerCall: 10 }).purge({ keys: keys(60), hard: false });
    expect(api.requests).toHaveLength(6);
    const offsets = api.requests.map((call) => call.at - started);
    // Two at once (the bucket), then one every 250 ms: 0, 0, 250, 500, 750, 1000.
    expect(offsets[1]).toBeLessThan(200);
    expect(offsets[2]).toBeGreaterThanOrEqual(200);
    expect(offsets[5]).toBeGreaterThanOrEqual(950);
    expect(offsets[5]).toBeLessThan(3000);
  });

  it('keeps within the rate limit when a call is slow to be answered (no refill credited while in flight)', async () => {
    const rate: RateLimit = { requests: 2, intervalMs: 500, burst: 2 };
    api.handler = cloudflareWithBucket(rate, 150);
    await cloudflare({ rateLimit: rate, tagsPerCall: 10 }).purge({ keys: keys(40), hard: false });
    expect(api.requests).toHaveLength(4);
  });

  it('(control) the same burst without the limiter is refused by that server', async () => {
    const rate: RateLimit = { requests: 2, intervalMs: 500, burst: 2 };
    api.handler = cloudflareWithBucket(rate);
    const error = await rejection(cloudflare({ rateLimit: { requests: 1000, intervalMs: 1, burst: 1000 }, tagsPerCall: 10 }).purge({ keys: keys(60), hard: false }));
    expect(error.retryAfterMs).toBe(1000);
    expect(error.message).toContain('971 Please wait and consider throttling your request speed');
    expect(api.requests).toHaveLength(3);
  });

  it('rejects a 429 with retryAfterMs from retry-after, and holds its next call back until then', async () => {
    api.handler = (request) => (api.requests.length === 1 ? { status: 429, headers: { 'retry-after': '1' }, body: { success: false, errors: [{ code: 10000, message: 'Rate limited' }], messages: [], result: null } } : documentedAnswer(request));
    const purger = cloudflare();
    const error = await rejection(purger.purge({ keys: ['a'], hard: false }));
    expect(error.retryAfterMs).toBe(1000);
    await purger.purge({ keys: ['a'], hard: false });
    expect(api.requests).toHaveLength(2);
    expect(api.requests[1].at - api.requests[0].at).toBeGreaterThanOrEqual(950);
  });

  it('rejects a 429 without retry-after with retryAfterMs from the Ratelimit header', async () => {
    api.handler = () => ({ status: 429, headers: { ratelimit: '"default";r=0;t=30' }, body: { success: false, errors: [], messages: [], result: null } });
    const error = await rejection(cloudflare().purge({ keys: ['a'], hard: false }));
    expect(error.retryAfterMs).toBe(30_000);
  });

  it('rejects a 5xx, with the errors Cloudflare gives or the body a proxy gives', async () => {
    api.handler = () => ({ status: 500, body: { success: false, errors: [{ code: 10000, message: 'Internal error' }], messages: [], result: null } });
    let error = await rejection(cloudflare().purge({ keys: ['a'], hard: false }));
    expect(error.message).toContain('was refused: HTTP 500: 10000 Internal error');
    expect(error.retryAfterMs).toBeUndefined();
    api.handler = () => ({ status: 502, headers: { 'content-type': 'text/html' }, body: '<html>Bad gateway</html>' });
    error = await rejection(cloudflare().purge({ keys: ['a'], hard: false }));
    expect(error.message).toContain('was refused: HTTP 502: <html>Bad gateway</html>');
    expect(error.message).not.toContain('cf-token');
  });

  it('rejects a 200 that says success: false, with the errors\' messages', async () => {
    api.handler = () => ({
      status: 200,
      body: { success: false, errors: [{ code: 1134, message: 'Unable to purge tags' }, { code: 1012, message: 'Request must contain one of ...' }], messages: [], result: null },
    });
    const error = await rejection(cloudflare().purge({ keys: ['a'], hard: false }));
    expect(error.message).toContain('1134 Unable to purge tags; 1012 Request must contain one of ...');
  });

  it('rejects a 200 that is not Cloudflare\'s answer', async () => {
    api.handler = () => ({ status: 200, body: 'ok' });
    const error = await rejection(cloudflare().purge({ keys: ['a'], hard: false }));
    expect(error.message).toContain("not Cloudflare's answer");
  });

  it('rejects a call that gets no answer within the timeout', async () => {
    api.handler = () => 'hang';
    const started = performance.now();
    const error = await rejection(cloudflare({ timeoutMs: 200 }).purge({ keys: ['a'], hard: false }));
    expect(error.message).toContain('no answer within 200 ms');
    expect(performance.now() - started).toBeLessThan(5000);
  }, 10_000);
});

describe('cdnPurgers', () => {
  it('builds none when no CDN is configured', () => {
    expect(cdnPurgers(readEnv({}))).toEqual([]);
  });

  it('builds each CDN whose id and token are both set, pointed at its API URL', async () => {
    const env = readEnv({
      FASTLY_SERVICE_ID: 'svc',
      FASTLY_API_TOKEN: 'f-token',
      FASTLY_API_URL: `${api.url}/`,
      CLOUDFLARE_ZONE_ID: 'zone',
      CLOUDFLARE_API_TOKEN: 'c-token',
      CLOUDFLARE_API_URL: `${api.url}/client/v4`,
    });
    const purgers = cdnPurgers(env);
    expect(purgers.map((purger) => purger.id)).toEqual(['fastly:svc', 'cloudflare:zone']);
    for (const purger of purgers) await purger.purge({ keys: ['k'], hard: false });
    expect(api.requests.map((call) => call.path)).toEqual(['/service/svc/purge', '/client/v4/zones/zone/purge_cache']);
    expect(api.requests[0].headers['fastly-key']).toBe('f-token');
    expect(api.requests[1].headers.authorization).toBe('Bearer c-token');
  });

  it.each([
    [{ FASTLY_SERVICE_ID: 'svc' }, 'FASTLY_API_TOKEN'],
    [{ FASTLY_API_TOKEN: 'f-token' }, 'FASTLY_SERVICE_ID'],
    [{ CLOUDFLARE_ZONE_ID: 'zone' }, 'CLOUDFLARE_API_TOKEN'],
    [{ CLOUDFLARE_API_TOKEN: 'c-token' }, 'CLOUDFLARE_ZONE_ID'],
  ])('refuses half a pair (%j) in one line naming %s', (vars, missing) => {
    const env = readEnv(vars);
    expect(() => cdnPurgers(env)).toThrow(EnvError);
    expect(() => cdnPurgers(env)).toThrow(new RegExp(`without ${missing}: set both`));
    try {
      cdnPurgers(env);
    } catch (error) {
      expect((error as Error).message).not.toContain('\n');
    }
  });
});
