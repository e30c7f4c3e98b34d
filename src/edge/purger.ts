/**
 * One cache in front of the service that takes purges by key: a Varnish with xkey, Fastly or
 * Cloudflare. The outbox (./outbox.ts) hands each one the keys of committed writes.
 */
export interface PurgeRequest {
  /** Surrogate keys (cache tags), as the service writes them in `Surrogate-Key`. */
  keys: string[];
  /**
   * Hard: the copies go at once and are never served again, not even stale (takedowns).
   * Soft: they are marked stale, and refetched while readers keep getting them (updates).
   */
  hard: boolean;
}

export interface Purger {
  /** Stable name of the target, kept in the outbox with the keys it has yet to receive. */
  readonly id: string;
  /**
   * The most keys one delivery hands over (the outbox holds its rows while the purge runs): a
   * rate-limited target gets what it can take in a few calls.
   */
  readonly keysPerDelivery?: number;
  /**
   * Purges the keys. Splits them into as many calls as the target's limits need and keeps to its
   * rate limits. Resolves once the target has acknowledged every call; rejects otherwise (a
   * `PurgeError` may say when to try again).
   */
  purge(request: PurgeRequest): Promise<void>;
}

export class PurgeError extends Error {
  constructor(
    message: string,
    /** The target said when to come back (HTTP 429 / Retry-After), in milliseconds. */
    readonly retryAfterMs?: number
  ) {
    super(message);
  }
}
