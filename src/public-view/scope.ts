import { AsyncLocalStorage } from 'node:async_hooks';
import type { Core } from '@strapi/strapi';

/**
 * Who is asking, for the code running now. Every database read a public request makes passes
 * through the query guard (./query-guard.ts), which asks this module whether drafts must be
 * hidden and where to record the documents it read.
 */
export interface RequestState {
  auth?: { strategy?: { name?: string }; credentials?: { type?: string } | null };
  /** Set by a route that has checked a preview secret itself. */
  allowDrafts?: boolean;
}

/**
 * Who may read drafts: admin users (admin panel), full-access API tokens, and routes that checked
 * a preview secret. Everyone else inside an HTTP request (REST, GraphQL, formats, reader pages,
 * any custom route) reads published rows only. Code outside a request (importer, scripts,
 * background jobs) is not a reader.
 */
export function canReadDrafts(state: RequestState | undefined): boolean {
  if (!state) return false;
  if (state.allowDrafts === true) return true;
  const strategy = state.auth?.strategy?.name;
  if (strategy === 'admin') return true;
  // Strapi 5.54 names it `content-api-token` (earlier 5.x: `api-token`).
  return (strategy === 'content-api-token' || strategy === 'api-token') && state.auth?.credentials?.type === 'full-access';
}

const writing = new AsyncLocalStorage<true>();

/**
 * Runs a Document Service write. The reads it makes itself (the draft it is editing, the slug
 * clash check) are the writer's, not a reader's: a caller allowed to write an article may read
 * the draft it writes. What the response then resolves (GraphQL's nested fields) is read again
 * outside this scope.
 */
export function asWriter<T>(work: () => T): T {
  return writing.run(true, work);
}

/** Whether the code running now serves a caller who must see published rows only. */
export function publishedOnly(strapi: Core.Strapi): boolean {
  if (writing.getStore()) return false;
  const request = strapi.requestContext.get() as { state?: RequestState } | undefined;
  if (!request) return false;
  return !canReadDrafts(request.state);
}

/** The documents (and lists) a response was made from, recorded as their rows are read. */
export class ReadTags {
  readonly tags = new Set<string>();
  /**
   * Documents read as rows of a list: the list's tag (also recorded) already covers them, since
   * any change to a document purges its type's list tag too. Named as well while there are few.
   */
  readonly listed = new Set<string>();
  /** The earliest moment something read stops being public (an unpublishAt): no cache past it. */
  expiresAt: number | undefined;

  expireAt(time: number): void {
    if (this.expiresAt === undefined || time < this.expiresAt) this.expiresAt = time;
  }

  add(tag: string): void {
    this.tags.add(tag);
  }

  addAll(tags: Iterable<string>): void {
    for (const tag of tags) this.tags.add(tag);
  }

  list(): string[] {
    const named = this.listed.size <= MAX_LISTED ? [...this.listed] : [];
    return [...new Set([...this.tags, ...named])].sort();
  }
}

// Past this many list rows, a response names its lists only (a sitemap of 50,000 articles would
// otherwise carry 50,000 Surrogate-Keys).
const MAX_LISTED = 100;

const recording = new AsyncLocalStorage<ReadTags>();

/** Runs `work`, recording into `tags` every document and list its database reads touch. */
export function recordReads<T>(tags: ReadTags, work: () => T): T {
  return recording.run(tags, work);
}

/** The recorder of the code running now, if any. */
export function currentReadTags(): ReadTags | undefined {
  return recording.getStore();
}
