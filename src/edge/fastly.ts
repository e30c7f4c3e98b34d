/**
 * Purges Fastly by surrogate key, from the purge outbox.
 *
 * What Fastly documents (not proven against the real service: the tests answer as these pages say):
 * - `POST /service/{service_id}/purge` with `{"surrogate_keys": [...]}` purges up to 256 keys in
 *   one call; `Fastly-Soft-Purge: 1` marks the objects stale instead of removing them; the answer
 *   maps each key to a purge id (`{"key_1": "108-1391560174-974124"}`).
 *   https://www.fastly.com/documentation/reference/api/purging/ (bulk_purge_tag; the same text in
 *   fastly/fastly-js docs/PurgeApi.md)
 * - Surrogate-key and URL purges do not count against the API's 1,000 requests per hour (only
 *   purge-all does); over a limit the answer is 429, and `Fastly-RateLimit-Reset` says when the
 *   window resets, in UTC epoch seconds. https://docs.fastly.com/api/ ("Rate limiting"). (A
 *   third-party summary, apis.io, lists 100,000 key purges an hour; not found on Fastly's pages.)
 * So there is no limiter here: the keys go in calls of 256, one after the other, and a 429 says
 * when to come back.
 */
import { z } from 'zod';
import { EnvError, type Env } from '../env';
import { PurgeError, type Purger, type PurgeRequest } from './purger';

/** Fastly's documented most surrogate keys in one bulk purge. */
export const FASTLY_MAX_KEYS_PER_CALL = 256;
/** How long one call to a CDN's API may take before it counts as failed. */
export const CDN_CALL_TIMEOUT_MS = 10_000;

export interface FastlyPurgerOptions {
  serviceId: string;
  token: string;
  /** https://api.fastly.com unless pointed elsewhere (tests). */
  apiUrl?: string;
  keysPerCall?: number;
  timeoutMs?: number;
}

/** Fastly's answer to a bulk purge: each key with the id of its purge. */
const FastlyAnswer = z.record(z.string(), z.string());
/** How Fastly describes an error (`msg`, sometimes `detail`). */
const FastlyError = z.object({ msg: z.string(), detail: z.string().optional() }).passthrough();

export class FastlyPurger implements Purger {
  readonly id: string;
  private readonly endpoint: string;
  private readonly keysPerCall: number;
  private readonly timeoutMs: number;

  constructor(private readonly options: FastlyPurgerOptions) {
    this.id = `fastly:${options.serviceId}`;
    const apiUrl = (options.apiUrl ?? 'https://api.fastly.com').replace(/\/+$/, '');
    this.endpoint = `${apiUrl}/service/${encodeURIComponent(options.serviceId)}/purge`;
    this.keysPerCall = Math.min(options.keysPerCall ?? FASTLY_MAX_KEYS_PER_CALL, FASTLY_MAX_KEYS_PER_CALL);
    this.timeoutMs = options.timeoutMs ?? CDN_CALL_TIMEOUT_MS;
  }

  async purge(request: PurgeRequest): Promise<void> {
    // A call that fails rejects the whole request: the outbox sends every key again, and purging
    // a key twice is harmless.
    for (const keys of batches(request.keys, this.keysPerCall)) await this.call(keys, request.hard);
  }

  private async call(keys: string[], hard: boolean): Promise<void> {
    const headers: Record<string, string> = {
      'Fastly-Key': this.options.token,
      Accept: 'application/json',
      'Content-Type': 'application/json',
    };
    if (!hard) headers['Fastly-Soft-Purge'] = '1';
    const what = `${this.id}: purge of ${keys.length} key${keys.length === 1 ? '' : 's'}`;
    let response: Response;
    let text: string;
    try {
      response = await fetch(this.endpoint, {
        method: 'POST',
        headers,
        body: JSON.stringify({ surrogate_keys: keys }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      throw new PurgeError(`${what} failed: ${callFailure(error, this.timeoutMs)}`);
    }
    if (response.status === 429) {
      const retryAfterMs = retryAfter(response.headers.get('retry-after')) ?? resetAt(response.headers.get('fastly-ratelimit-reset'));
      throw new PurgeError(`${what} was refused: rate limited (429)${errorDetail(text)}`, retryAfterMs);
    }
    if (!response.ok) throw new PurgeError(`${what} was refused: HTTP ${response.status}${errorDetail(text)}`);
    if (!FastlyAnswer.safeParse(parseJson(text)).success) {
      throw new PurgeError(`${what}: HTTP ${response.status} but not Fastly's answer (a JSON object of purge ids): ${snippet(text)}`);
    }
  }
}

/** The Fastly purger the environment configures, if any. */
export function fastlyPurger(env: Env): FastlyPurger | undefined {
  const serviceId = env.FASTLY_SERVICE_ID;
  const token = env.FASTLY_API_TOKEN;
  if (!serviceId && !token) return undefined;
  if (!serviceId) throw new EnvError('invalid environment: FASTLY_API_TOKEN is set without FASTLY_SERVICE_ID: set both to purge Fastly, or neither');
  if (!token) throw new EnvError('invalid environment: FASTLY_SERVICE_ID is set without FASTLY_API_TOKEN: set both to purge Fastly, or neither');
  return new FastlyPurger({ serviceId, token, apiUrl: env.FASTLY_API_URL });
}

function errorDetail(text: string): string {
  const parsed = FastlyError.safeParse(parseJson(text));
  if (parsed.success) return `: ${parsed.data.msg}${parsed.data.detail ? ` (${parsed.data.detail})` : ''}`;
  return text.trim() ? `: ${snippet(text)}` : '';
}

// Helpers shared with ./cloudflare.ts.

/** The keys without repeats, in calls of at most `size`. */
export function batches(keys: readonly string[], size: number): string[][] {
  const unique = [...new Set(keys)];
  const out: string[][] = [];
  for (let start = 0; start < unique.length; start += size) out.push(unique.slice(start, start + size));
  return out;
}

/** A `Retry-After` value (seconds, or an HTTP date) in milliseconds from now. */
export function retryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.ceil(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** An epoch-seconds reset time (Fastly-RateLimit-Reset) in milliseconds from now. */
function resetAt(value: string | null, now = Date.now()): number | undefined {
  if (value === null || !/^\d+$/.test(value.trim())) return undefined;
  return Math.max(0, Number(value.trim()) * 1000 - now);
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat || '(empty body)';
}

/** Why a call got no answer: the timeout, or the network error's own words. */
export function callFailure(error: unknown, timeoutMs: number): string {
  // Duck-typed: fetch's DOMException and errors from another realm are not `instanceof Error` here.
  const { name, message, cause } = (typeof error === 'object' && error !== null ? error : {}) as { name?: unknown; message?: unknown; cause?: { message?: unknown } };
  if (name === 'TimeoutError' || name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  if (typeof message !== 'string') return String(error);
  return typeof cause?.message === 'string' ? `${message} (${cause.message})` : message;
}
