import type { Core } from '@strapi/strapi';
import { ARTICLE_UID } from './constants';

export type ArticleAction = 'read' | 'update';

interface PermissionChecker {
  cannot: Record<ArticleAction, (entity?: unknown) => boolean>;
}

/**
 * Whether the admin user behind `userAbility` may read (or update) this article, checked against
 * the document itself as the content manager checks it, so role conditions apply (Strapi's
 * Author role: `is-creator`, only what they created). No draft row in that locale: no.
 */
export async function articleAccess(
  strapi: Core.Strapi,
  userAbility: unknown,
  action: ArticleAction,
  documentId: string,
  locale?: string
): Promise<'allowed' | 'denied' | 'missing'> {
  if (!userAbility) return 'denied';
  const checker = strapi
    .plugin('content-manager')
    .service('permission-checker')
    .create({ userAbility, model: ARTICLE_UID }) as PermissionChecker;
  if (checker.cannot[action]()) return 'denied'; // not even on some articles
  const rows = (await strapi.db.query(ARTICLE_UID).findMany({
    where: { documentId, ...(locale ? { locale } : {}), publishedAt: null },
    populate: { createdBy: { select: ['id'] } },
  })) as unknown[];
  if (rows.length === 0) return 'missing';
  return rows.every((row) => !checker.cannot[action](row)) ? 'allowed' : 'denied';
}
