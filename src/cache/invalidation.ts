import { responseCache } from './index';

export type InvalidationListener = (tags: string[]) => void;
const listeners = new Set<InvalidationListener>();

/** Other processes' caches (see the cluster bus) hear of every local invalidation here. */
export function onLocalInvalidation(listener: InvalidationListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

const anyListeners = new Set<() => void>();

/** Everything derived from articles or credits (list totals) hears of every purge, local or peer. */
export function onAnyInvalidation(listener: () => void): void {
  anyListeners.add(listener);
}

/** Who may read what changed: every cached answer goes. */
export const TAG_PERMISSIONS = 'permissions';

export function invalidate(tags: string[], fromPeer = false): void {
  if (tags.includes(TAG_PERMISSIONS)) responseCache.clear();
  else responseCache.invalidate(tags);
  for (const listener of anyListeners) listener();
  if (!fromPeer) for (const listener of listeners) listener(tags);
}
