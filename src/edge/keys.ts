import { TAG_PERMISSIONS } from '../cache/invalidation';

/**
 * The longest `Surrogate-Key` (and `Cache-Tag`) value the service sends. Varnish refuses a
 * backend response header line over 8 KiB (http_resp_hdr_len); Fastly takes 16 KiB of
 * Surrogate-Key and Cloudflare 16 KiB of Cache-Tag: under all three, with room for the name.
 */
export const MAX_KEY_HEADER_BYTES = 7_680;

/**
 * The keys an edge tags an answer with: the documents and lists it was read from, and
 * `permissions` (every public answer depends on who may read what: a permission change purges
 * that one key everywhere). Past the size limit, the lists stand in for the documents: a change
 * to any document purges its type's list tag as well, so an answer tagged with the list tag of
 * every public type is purged by every change that could alter it.
 */
export function edgeKeys(tags: readonly string[], everyListTag: readonly string[]): string[] {
  const keys = [...tags, TAG_PERMISSIONS];
  if (headerBytes(keys) <= MAX_KEY_HEADER_BYTES) return keys;
  return [...new Set([...tags.filter((tag) => !tag.startsWith('doc:')), ...everyListTag, TAG_PERMISSIONS])];
}

function headerBytes(keys: readonly string[]): number {
  return keys.reduce((sum, key) => sum + Buffer.byteLength(key) + 1, 0);
}
