import { createHash } from 'node:crypto';

export interface CachedResponse {
  status: number;
  /** Lower-case header names, as Koa wrote them (CORS, security headers, content type, …). */
  headers: Record<string, string | string[]>;
  body: Buffer;
  etag: string;
  tags: string[];
}

/**
 * Public responses by request key, with tags naming the documents in them. An LRU bounded by
 * entries and bytes. `generation` moves on every invalidation: a response computed from data
 * read before an invalidation is never stored after it.
 */
export class ResponseCache {
  private readonly entries = new Map<string, CachedResponse>();
  private readonly byTag = new Map<string, Set<string>>();
  private bytes = 0;
  generation = 0;

  constructor(
    private readonly maxEntries = 5000,
    private readonly maxBytes = 128 * 1024 * 1024
  ) {}

  get size(): number {
    return this.entries.size;
  }

  private readonly touched = new Map<string, number>();

  get(key: string): CachedResponse | undefined {
    const entry = this.entries.get(key);
    if (entry) {
      // Refresh its place in the LRU order, at most once a second (a hot entry is read
      // thousands of times a second; moving it each time costs more than it buys).
      const now = Date.now();
      if (now - (this.touched.get(key) ?? 0) > 1000) {
        this.touched.set(key, now);
        this.entries.delete(key);
        this.entries.set(key, entry);
      }
    }
    return entry;
  }

  /** Stores unless an invalidation happened since `generation` was read. */
  set(key: string, entry: CachedResponse, generation: number): boolean {
    if (generation !== this.generation) return false;
    this.delete(key);
    this.entries.set(key, entry);
    this.bytes += entry.body.length;
    for (const tag of entry.tags) {
      let keys = this.byTag.get(tag);
      if (!keys) this.byTag.set(tag, (keys = new Set()));
      keys.add(key);
    }
    while (this.entries.size > this.maxEntries || this.bytes > this.maxBytes) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.delete(oldest);
    }
    return true;
  }

  invalidate(tags: Iterable<string>): number {
    this.generation += 1;
    let removed = 0;
    for (const tag of tags) {
      for (const key of this.byTag.get(tag) ?? []) {
        if (this.delete(key)) removed += 1;
      }
    }
    return removed;
  }

  clear(): void {
    this.generation += 1;
    this.entries.clear();
    this.touched.clear();
    this.byTag.clear();
    this.bytes = 0;
  }

  private delete(key: string): boolean {
    const entry = this.entries.get(key);
    if (!entry) return false;
    this.entries.delete(key);
    this.touched.delete(key);
    this.bytes -= entry.body.length;
    for (const tag of entry.tags) {
      const keys = this.byTag.get(tag);
      keys?.delete(key);
      if (keys?.size === 0) this.byTag.delete(tag);
    }
    return true;
  }
}

/** A strong validator for exact bytes. */
export function strongEtag(body: Buffer | string): string {
  return `"${createHash('sha1').update(body).digest('base64url')}"`;
}

/** If-None-Match matches (`*`, a list, weak or strong forms of the same tag). */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === etag);
}
