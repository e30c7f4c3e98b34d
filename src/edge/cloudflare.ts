/**
 * Purges Cloudflare by cache tag, from the purge outbox; and `cdnPurgers`, the CDNs the
 * environment configures.
 *
 * What Cloudflare documents (not proven against the real service: the tests answer as these pages say):
 * - `POST /zones/{zone_id}/purge_cache` with `{"tags": [...]}`; the answer is the v4 envelope
 *   `{"success", "errors": [{"code", "message"}], "messages", "result"}`.
 *   https://developers.cloudflare.com/api/resources/cache/methods/purge/
 * - Purge limits for hostname, tag, prefix and purge-everything, per account, a token bucket:
 *   Free 5 requests a minute (bucket 25), Pro 5 a second (25), Business 10 a second (50),
 *   Enterprise 50 a second (500); at most 100 operations (tags) per request on every plan.
 *   https://developers.cloudflare.com/cache/how-to/purge-cache/#purge-limits
 *   (cloudflare/cloudflare-docs src/content/plans/index.json, "purge_limits")
 * - Every API call also counts against 1,200 requests per 5 minutes per user; a 429 carries
 *   `retry-after` (seconds) and `Ratelimit: "default";r=…;t=<seconds to reset>`.
 *   https://developers.cloudflare.com/fundamentals/api/reference/limits/
 * - A tag purge deletes the objects (the next request is a MISS): there is no soft purge by tag.
 *   https://developers.cloudflare.com/cache/how-to/purge-cache/purge-by-tags/
 * The defaults are the Free plan's (the most conservative); a paid zone passes its own `rateLimit`.
 */
import { z } from 'zod';
import { EnvError, type Env } from '../env';
import { batches, callFailure, CDN_CALL_TIMEOUT_MS, fastlyPurger, parseJson, retryAfter, snippet } from './fastly';
import { PurgeError, type Purger, type PurgeRequest } from './purger';

/** Cloudflare's documented most tags in one purge call (every plan). */
export const CLOUDFLARE_MAX_TAGS_PER_CALL = 100;

/** A token bucket: `burst` calls at once, then `requests` every `intervalMs`. */
export interface RateLimit {
  requests: number;
  intervalMs: number;
  burst: number;
}

/** Cloudflare Free: 5 purge requests a minute, a bucket of 25. */
export const CLOUDFLARE_FREE_RATE_LIMIT: RateLimit = { requests: 5, intervalMs: 60_000, burst: 25 };

/** Each plan's purge rate (the page cited above). */
export const CLOUDFLARE_RATE_LIMITS: Record<Env['CLOUDFLARE_PLAN'], RateLimit> = {
  free: CLOUDFLARE_FREE_RATE_LIMIT,
  pro: { requests: 5, intervalMs: 1000, burst: 25 },
  business: { requests: 10, intervalMs: 1000, burst: 50 },
  enterprise: { requests: 50, intervalMs: 1000, burst: 500 },
};

export interface CloudflarePurgerOptions {
  zoneId: string;
  token: string;
  /** https://api.cloudflare.com/client/v4 unless pointed elsewhere (tests). */
  apiUrl?: string;
  tagsPerCall?: number;
  /** The zone's plan's purge rate; the Free plan's unless given. */
  rateLimit?: RateLimit;
  timeoutMs?: number;
}

const CloudflareAnswer = z.object({
  success: z.boolean(),
  errors: z.array(z.object({ code: z.number().optional(), message: z.string() }).passthrough()).default([]),
});

export class CloudflarePurger implements Purger {
  readonly id: string;
  /** A delivery's keys fit in a few calls (at Free's rate, a full bucket's worth takes minutes). */
  readonly keysPerDelivery = 5 * CLOUDFLARE_MAX_TAGS_PER_CALL;
  private readonly endpoint: string;
  private readonly tagsPerCall: number;
  private readonly timeoutMs: number;
  private readonly bucket: TokenBucket;

  constructor(private readonly options: CloudflarePurgerOptions) {
    this.id = `cloudflare:${options.zoneId}`;
    const apiUrl = (options.apiUrl ?? 'https://api.cloudflare.com/client/v4').replace(/\/+$/, '');
    this.endpoint = `${apiUrl}/zones/${encodeURIComponent(options.zoneId)}/purge_cache`;
    this.tagsPerCall = Math.min(options.tagsPerCall ?? CLOUDFLARE_MAX_TAGS_PER_CALL, CLOUDFLARE_MAX_TAGS_PER_CALL);
    this.timeoutMs = options.timeoutMs ?? CDN_CALL_TIMEOUT_MS;
    this.bucket = new TokenBucket(options.rateLimit ?? CLOUDFLARE_FREE_RATE_LIMIT);
  }

  /**
   * Cloudflare has no soft purge by tag: `hard` or not, every purge here is a hard one (the
   * copies are deleted and the next reader's request goes to the origin).
   */
  async purge(request: PurgeRequest): Promise<void> {
    // A burst of keys waits for the bucket rather than being refused by Cloudflare. A call that
    // fails rejects the whole request: the outbox sends every key again (purging twice is harmless).
    for (const tags of batches(request.keys, this.tagsPerCall)) await this.bucket.run(() => this.call(tags));
  }

  private async call(tags: string[]): Promise<void> {
    const what = `${this.id}: purge of ${tags.length} tag${tags.length === 1 ? '' : 's'}`;
    let response: Response;
    let text: string;
    try {
      response = await fetch(this.endpoint, {
        method: 'POST',
        headers: { Authorization: `Bearer ${this.options.token}`, 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ tags }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      throw new PurgeError(`${what} failed: ${callFailure(error, this.timeoutMs)}`);
    }
    const answer = CloudflareAnswer.safeParse(parseJson(text));
    const errors = answer.success && answer.data.errors.length > 0 ? `: ${answer.data.errors.map(describe).join('; ')}` : '';
    if (response.status === 429) {
      const retryAfterMs = retryAfter(response.headers.get('retry-after')) ?? resetIn(response.headers.get('ratelimit'));
      // Nothing more goes out from this purger until Cloudflare said it may.
      if (retryAfterMs !== undefined) this.bucket.pauseFor(retryAfterMs);
      throw new PurgeError(`${what} was refused: rate limited (429)${errors}`, retryAfterMs);
    }
    if (!response.ok) throw new PurgeError(`${what} was refused: HTTP ${response.status}${errors || (text.trim() ? `: ${snippet(text)}` : '')}`);
    if (!answer.success) throw new PurgeError(`${what}: HTTP ${response.status} but not Cloudflare's answer: ${snippet(text)}`);
    if (!answer.data.success) throw new PurgeError(`${what} was refused (success: false)${errors || ': no error given'}`);
  }
}

function describe(error: { code?: number; message: string }): string {
  return error.code === undefined ? error.message : `${error.code} ${error.message}`;
}

/** `t=<seconds>` from Cloudflare's `Ratelimit: "default";r=0;t=30` header, in milliseconds. */
function resetIn(value: string | null): number | undefined {
  const match = value?.match(/(?:^|;)\s*t=(\d+)/);
  return match ? Number(match[1]) * 1000 : undefined;
}

/**
 * In-memory token bucket, first come first served, one call at a time: `burst` calls at once, then
 * `requests` every `intervalMs`. The target counts a call when it arrives, which may be as late as
 * its answer: no refill is credited for the time a call is in flight, so a slow first call (the
 * connection being set up) cannot make the next ones look early to the target.
 * One per purger, so per process: several instances of the service share the account's limit
 * between them, and a 429 (with its Retry-After) is what tells them.
 */
export class TokenBucket {
  private tokens: number;
  private refilledAt: number;
  private pausedUntil = 0;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly rate: RateLimit) {
    if (!(rate.requests > 0 && rate.intervalMs > 0 && rate.burst >= 1)) {
      throw new Error(`rate limit must have requests > 0, intervalMs > 0 and burst >= 1 (got ${JSON.stringify(rate)})`);
    }
    this.tokens = rate.burst;
    this.refilledAt = performance.now();
  }

  /** Runs `call` once a token is free, after every call asked for before it has finished. */
  run<T>(call: () => Promise<T>): Promise<T> {
    const turn = this.queue.then(async () => {
      await this.acquire();
      try {
        return await call();
      } finally {
        this.refilledAt = performance.now();
      }
    });
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /** Holds every call back for `ms` (the target's Retry-After). */
  pauseFor(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, performance.now() + ms);
  }

  private async acquire(): Promise<void> {
    for (;;) {
      const now = performance.now();
      this.tokens = Math.min(this.rate.burst, this.tokens + ((now - this.refilledAt) * this.rate.requests) / this.rate.intervalMs);
      this.refilledAt = now;
      if (now < this.pausedUntil) {
        await sleep(this.pausedUntil - now);
      } else if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      } else {
        await sleep(Math.ceil(((1 - this.tokens) * this.rate.intervalMs) / this.rate.requests));
      }
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The Cloudflare purger the environment configures, if any. */
export function cloudflarePurger(env: Env): CloudflarePurger | undefined {
  const zoneId = env.CLOUDFLARE_ZONE_ID;
  const token = env.CLOUDFLARE_API_TOKEN;
  if (!zoneId && !token) return undefined;
  if (!zoneId) throw new EnvError('invalid environment: CLOUDFLARE_API_TOKEN is set without CLOUDFLARE_ZONE_ID: set both to purge Cloudflare, or neither');
  if (!token) throw new EnvError('invalid environment: CLOUDFLARE_ZONE_ID is set without CLOUDFLARE_API_TOKEN: set both to purge Cloudflare, or neither');
  return new CloudflarePurger({ zoneId, token, apiUrl: env.CLOUDFLARE_API_URL, rateLimit: CLOUDFLARE_RATE_LIMITS[env.CLOUDFLARE_PLAN] });
}

/** Every CDN the environment configures (both of a pair set); none when neither pair is. */
export function cdnPurgers(env: Env): Purger[] {
  const purgers: Purger[] = [];
  const fastly = fastlyPurger(env);
  if (fastly) purgers.push(fastly);
  const cloudflare = cloudflarePurger(env);
  if (cloudflare) purgers.push(cloudflare);
  return purgers;
}
