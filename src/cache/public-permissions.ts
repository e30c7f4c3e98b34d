import type { Core } from '@strapi/strapi';
import { memoriesSkipped } from './count-memo';
import { onAnyInvalidation } from './invalidation';
import { resetAnonymousAuth } from '../read-model/projection';

const TTL_MS = 5000;

/**
 * Every anonymous request makes users-permissions read the Public role's permissions from the
 * database (one query of the two a read-model hit costs). They are remembered here and forgotten
 * when a permission or role changes on this instance or another (the purge travels over the
 * cluster bus), and at the latest after 5 s.
 */
export function rememberPublicPermissions(strapi: Core.Strapi): void {
  const service = strapi.plugin('users-permissions').service('permission') as { findPublicPermissions(): Promise<unknown[]> };
  const original = service.findPublicPermissions.bind(service);
  let remembered: Promise<unknown[]> | null = null;
  let at = 0;
  const forget = () => {
    remembered = null;
    resetAnonymousAuth();
  };
  service.findPublicPermissions = () => {
    if (memoriesSkipped()) return original();
    if (!remembered || Date.now() - at > TTL_MS) {
      at = Date.now();
      const pending = original();
      remembered = pending;
      pending.catch(() => {
        if (remembered === pending) remembered = null;
      });
    }
    return remembered;
  };
  // A permission or role change (captured with every other write, src/public-view) purges all.
  onAnyInvalidation(forget);
}
