import { createHash } from 'node:crypto';
import { PUBLIC_CACHE_CONTROL } from './policy';

export interface CachedResponse {
  status: number;
  /** Lower-case header names, as Koa wrote them (CORS, security headers, content type, …). */
  headers: Record<string, string | string[]>;
  body: Buffer;
  etag: string;
  tags: string[];
}

interface Stored extends CachedResponse {
  /** The headers of a hit: `headers` plus `x-cache: hit`, built once. */
  hitHeaders: Record<string, string | string[]>;
  /** The headers of a 304 for it, built once. */
  notModifiedHeaders: Record<string, string | string[]>;
  size: number;
  expiresAt: number;
  touchedAt: number;
  protected: boolean;
}

export interface CacheLimits {
  maxEntries: number;
  /** Bodies, headers and keys together. */
  maxBytes: number;
  /** How long an entry may be served, in milliseconds. */
  ttlMs: number;
}

// The share of the budget kept for entries read at least twice.
const PROTECTED_SHARE = 0.8;

/**
 * Public responses by request key, with tags naming the documents they were made from.
 *
 * A segmented LRU bounded in entries and bytes (bodies, headers and keys): a new entry starts on
 * probation and is protected once it is read again, so a flood of one-off URLs (random query
 * variants) only evicts other one-off URLs, never the hot entries. Entries expire after the TTL.
 * `generation` moves on every invalidation: a response computed from data read before an
 * invalidation is never stored after it.
 */
export class ResponseCache {
  private readonly probation = new Map<string, Stored>();
  private readonly protectedEntries = new Map<string, Stored>();
  private readonly byTag = new Map<string, Set<string>>();
  private probationBytes = 0;
  private protectedBytes = 0;
  generation = 0;
  private readonly limits: CacheLimits;

  constructor(limits: Partial<CacheLimits> = {}) {
    this.limits = { maxEntries: 5000, maxBytes: 128 * 1024 * 1024, ttlMs: 300_000, ...limits };
  }

  get size(): number {
    return this.probation.size + this.protectedEntries.size;
  }

  get bytes(): number {
    return this.probationBytes + this.protectedBytes;
  }

  has(key: string): boolean {
    return this.probation.has(key) || this.protectedEntries.has(key);
  }

  get(key: string): (CachedResponse & Pick<Stored, 'hitHeaders' | 'notModifiedHeaders'>) | undefined {
    const now = Date.now();
    let entry = this.protectedEntries.get(key);
    if (entry) {
      if (now >= entry.expiresAt) return void this.delete(key);
      // Refresh its place at most once a second (a hot entry is read thousands of times a
      // second; moving it each time costs more than it buys).
      if (now - entry.touchedAt > 1000) {
        entry.touchedAt = now;
        this.protectedEntries.delete(key);
        this.protectedEntries.set(key, entry);
      }
      return entry;
    }
    entry = this.probation.get(key);
    if (!entry) return undefined;
    if (now >= entry.expiresAt) return void this.delete(key);
    // Read again: protected from one-off entries.
    this.probation.delete(key);
    this.probationBytes -= entry.size;
    entry.protected = true;
    entry.touchedAt = now;
    this.protectedEntries.set(key, entry);
    this.protectedBytes += entry.size;
    this.evict();
    return entry;
  }

  /** Stores unless an invalidation happened since `generation` was read; for `ttlMs` at most. */
  set(key: string, response: CachedResponse, generation: number, ttlMs = this.limits.ttlMs): boolean {
    if (generation !== this.generation || ttlMs <= 0) return false;
    this.delete(key);
    const size = key.length + response.body.length + headerBytes(response.headers) + response.tags.reduce((n, tag) => n + tag.length, 0);
    if (size > this.limits.maxBytes * (1 - PROTECTED_SHARE)) return false; // would flush the probation segment alone
    const now = Date.now();
    const entry: Stored = {
      ...response,
      hitHeaders: { ...response.headers, 'x-cache': 'hit' },
      notModifiedHeaders: notModifiedHeaders(response.headers),
      size,
      expiresAt: now + Math.min(ttlMs, this.limits.ttlMs),
      touchedAt: now,
      protected: false,
    };
    this.probation.set(key, entry);
    this.probationBytes += size;
    for (const tag of entry.tags) {
      let keys = this.byTag.get(tag);
      if (!keys) this.byTag.set(tag, (keys = new Set()));
      keys.add(key);
    }
    this.evict();
    return true;
  }

  invalidate(tags: Iterable<string>): number {
    this.generation += 1;
    let removed = 0;
    for (const tag of tags) {
      for (const key of [...(this.byTag.get(tag) ?? [])]) {
        if (this.delete(key)) removed += 1;
      }
    }
    return removed;
  }

  clear(): void {
    this.generation += 1;
    this.probation.clear();
    this.protectedEntries.clear();
    this.byTag.clear();
    this.probationBytes = 0;
    this.protectedBytes = 0;
  }

  private evict(): void {
    const protectedBytes = this.limits.maxBytes * PROTECTED_SHARE;
    const protectedEntries = Math.max(1, Math.floor(this.limits.maxEntries * PROTECTED_SHARE));
    // The protected segment over its share: its least recently used go back on probation.
    while (this.protectedEntries.size > protectedEntries || this.protectedBytes > protectedBytes) {
      const [key, entry] = this.protectedEntries.entries().next().value as [string, Stored];
      this.protectedEntries.delete(key);
      this.protectedBytes -= entry.size;
      entry.protected = false;
      this.probation.set(key, entry);
      this.probationBytes += entry.size;
    }
    // Over the whole budget: probation goes first, oldest first.
    while (this.size > this.limits.maxEntries || this.bytes > this.limits.maxBytes) {
      const oldest = this.probation.keys().next().value ?? this.protectedEntries.keys().next().value;
      if (oldest === undefined) break;
      this.delete(oldest);
    }
  }

  private delete(key: string): boolean {
    const entry = this.protectedEntries.get(key) ?? this.probation.get(key);
    if (!entry) return false;
    if (entry.protected) {
      this.protectedEntries.delete(key);
      this.protectedBytes -= entry.size;
    } else {
      this.probation.delete(key);
      this.probationBytes -= entry.size;
    }
    for (const tag of entry.tags) {
      const keys = this.byTag.get(tag);
      keys?.delete(key);
      if (keys?.size === 0) this.byTag.delete(tag);
    }
    return true;
  }
}

function headerBytes(headers: Record<string, string | string[]>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(headers)) bytes += name.length + (Array.isArray(value) ? value.join(', ').length : value.length) + 4;
  return bytes;
}

/** A strong validator for exact bytes. */
export function strongEtag(body: Buffer | string): string {
  return `"${createHash('sha1').update(body).digest('base64url')}"`;
}

/** If-None-Match matches (`*`, a list, weak or strong forms of the same tag). */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch === etag) return true; // the usual case: the one ETag the client was given
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === etag);
}

const KEEP_ON_304 = ['etag', 'cache-control', 'surrogate-control', 'surrogate-key', 'cache-tag', 'vary', 'access-control-allow-origin', 'access-control-allow-credentials', 'access-control-expose-headers'];

export function notModifiedHeaders(headers: Record<string, string | string[]>): Record<string, string | string[]> {
  const kept: Record<string, string | string[]> = {};
  for (const name of KEEP_ON_304) if (headers[name] !== undefined) kept[name] = headers[name];
  kept['cache-control'] ??= PUBLIC_CACHE_CONTROL;
  return kept;
}
