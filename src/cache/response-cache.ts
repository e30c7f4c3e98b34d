import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
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
 * A segmented LRU (two `lru-cache` segments) bounded in entries and bytes (bodies, headers and
 * keys): a new entry starts on probation and is protected once it is read again, so a flood of
 * one-off URLs (random query variants) only evicts other one-off URLs, never the hot entries; the
 * protected segment's least recently used go back on probation. Entries expire after the TTL.
 * `generation` moves on every invalidation: a response computed from data read before an
 * invalidation is never stored after it.
 */
export class ResponseCache {
  private readonly probation: LRUCache<string, Stored>;
  private readonly protectedEntries: LRUCache<string, Stored>;
  private readonly byTag = new Map<string, Set<string>>();
  generation = 0;
  private readonly limits: CacheLimits;

  constructor(limits: Partial<CacheLimits> = {}) {
    this.limits = { maxEntries: 5000, maxBytes: 128 * 1024 * 1024, ttlMs: 300_000, ...limits };
    const sized = { sizeCalculation: (entry: Stored) => entry.size };
    // Only evictions are handled here: deletes and overwrites are this class's own, which keeps
    // the tag index itself. Probation may use whatever the protected segment leaves of the whole
    // budget (`trim`); the protected segment keeps to its share, its least recently used going
    // back on probation.
    this.probation = new LRUCache<string, Stored>({
      ...sized,
      max: Math.max(1, this.limits.maxEntries),
      maxSize: Math.max(1, this.limits.maxBytes),
      dispose: (entry, key, reason) => {
        if (reason === 'evict') this.untag(key, entry);
      },
    });
    this.protectedEntries = new LRUCache<string, Stored>({
      ...sized,
      max: Math.max(1, Math.floor(this.limits.maxEntries * PROTECTED_SHARE)),
      maxSize: Math.max(1, Math.floor(this.limits.maxBytes * PROTECTED_SHARE)),
      dispose: (entry, key, reason) => {
        if (reason === 'evict') this.probation.set(key, entry);
      },
    });
  }

  get size(): number {
    return this.probation.size + this.protectedEntries.size;
  }

  get bytes(): number {
    return this.probation.calculatedSize + this.protectedEntries.calculatedSize;
  }

  has(key: string): boolean {
    return this.probation.has(key) || this.protectedEntries.has(key);
  }

  get(key: string): (CachedResponse & Pick<Stored, 'hitHeaders' | 'notModifiedHeaders'>) | undefined {
    let entry = this.protectedEntries.get(key);
    if (!entry) {
      entry = this.probation.peek(key);
      if (!entry) return undefined;
      if (Date.now() < entry.expiresAt) {
        // Read again: protected from one-off entries.
        this.probation.delete(key);
        this.protectedEntries.set(key, entry);
        this.trim();
      }
    }
    if (Date.now() >= entry.expiresAt) return void this.delete(key);
    return entry;
  }

  /** Stores unless an invalidation happened since `generation` was read; for `ttlMs` at most. */
  set(key: string, response: CachedResponse, generation: number, ttlMs = this.limits.ttlMs): boolean {
    if (generation !== this.generation || ttlMs <= 0) return false;
    this.delete(key);
    const size = key.length + response.body.length + headerBytes(response.headers) + response.tags.reduce((n, tag) => n + tag.length, 0);
    if (size > this.limits.maxBytes * (1 - PROTECTED_SHARE)) return false; // would flush the probation segment alone
    const entry: Stored = {
      ...response,
      hitHeaders: { ...response.headers, 'x-cache': 'hit' },
      notModifiedHeaders: notModifiedHeaders(response.headers),
      size,
      expiresAt: Date.now() + Math.min(ttlMs, this.limits.ttlMs),
    };
    for (const tag of entry.tags) {
      let keys = this.byTag.get(tag);
      if (!keys) this.byTag.set(tag, (keys = new Set()));
      keys.add(key);
    }
    this.probation.set(key, entry);
    this.trim();
    return true;
  }

  /** Over the whole budget: probation goes first, least recently used first. */
  private trim(): void {
    while ((this.size > this.limits.maxEntries || this.bytes > this.limits.maxBytes) && this.probation.size > 0) this.probation.pop();
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
  }

  private delete(key: string): boolean {
    const entry = this.protectedEntries.peek(key) ?? this.probation.peek(key);
    if (!entry) return false;
    if (!this.protectedEntries.delete(key)) this.probation.delete(key);
    this.untag(key, entry);
    return true;
  }

  private untag(key: string, entry: Stored): void {
    for (const tag of entry.tags) {
      const keys = this.byTag.get(tag);
      keys?.delete(key);
      if (keys?.size === 0) this.byTag.delete(tag);
    }
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
