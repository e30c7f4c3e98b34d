import { randomBytes } from 'node:crypto';
import type { Core } from '@strapi/strapi';
import { ARTICLE_POPULATE, ARTICLE_UID, CREDIT_UID } from '../articles/constants';
import { snapshotOf, type ArticleIn, type Snapshot } from './snapshot';

export const REVISION_UID = 'api::article-revision.article-revision' as const;

export interface Author {
  id: number | null;
  name: string | null;
}

/** The admin user behind the current request, if any. */
export function currentAuthor(strapi: Core.Strapi): Author {
  const user = (strapi.requestContext.get()?.state as { user?: { id: number; firstname?: string; lastname?: string; email?: string } } | undefined)?.user;
  if (!user) return { id: null, name: null };
  const name = [user.firstname, user.lastname].filter(Boolean).join(' ') || user.email || null;
  return { id: user.id, name };
}

/** Stores the published version of each locale just published, as an immutable revision. */
export async function recordPublished(strapi: Core.Strapi, documentId: string, locale: string | undefined): Promise<void> {
  const rows = (await strapi.db.query(ARTICLE_UID).findMany({
    where: { documentId, ...(locale ? { locale } : {}), publishedAt: { $notNull: true } },
    populate: ARTICLE_POPULATE,
  })) as Array<ArticleIn & { locale: string; version: number | null }>;
  const author = currentAuthor(strapi);
  for (const row of rows) {
    await strapi.db.query(REVISION_UID).create({
      data: {
        articleDocumentId: documentId,
        locale: row.locale,
        kind: 'publish',
        version: row.version,
        authorId: author.id,
        authorName: author.name,
        snapshot: snapshotOf(row),
      },
    });
  }
}

/**
 * Keeps the text of a save refused as a conflict. Written on its own connection, outside the
 * refused write's transaction, so the refusal does not roll it back.
 */
export async function recordConflict(
  strapi: Core.Strapi,
  documentId: string,
  locale: string,
  version: number | null,
  snapshot: Snapshot
): Promise<void> {
  const author = currentAuthor(strapi);
  const now = new Date();
  await strapi.db.connection('article_revisions').insert({
    document_id: randomBytes(12).toString('hex'),
    article_document_id: documentId,
    locale,
    kind: 'conflict',
    version,
    author_id: author.id,
    author_name: author.name,
    snapshot: JSON.stringify(snapshot),
    created_at: now,
    updated_at: now,
    published_at: now,
  });
}

/** The loser's text from a save's input (the admin's form shape), credits resolved best-effort. */
export async function snapshotFromInput(
  strapi: Core.Strapi,
  data: Record<string, unknown>,
  fallback: { headline: string; slug: string | null }
): Promise<Snapshot> {
  const creditOf = async (value: unknown): Promise<{ documentId: string; name: string } | null> => {
    const ref = relationRef(value);
    if (!ref) return null;
    const credit = (await strapi.db.query(CREDIT_UID).findOne({
      where: typeof ref === 'number' ? { id: ref } : { documentId: ref },
      select: ['documentId', 'name'],
    })) as { documentId: string; name: string } | null;
    return credit;
  };
  const figure = async (value: unknown) => {
    const f = (value ?? {}) as Record<string, unknown>;
    return {
      caption: typeof f.caption === 'string' ? f.caption : null,
      alt: typeof f.alt === 'string' ? f.alt : null,
      credit: await creditOf(f.credit),
      image: null,
      photographer: typeof f.photographer === 'string' ? f.photographer : null,
      copyright: typeof f.copyright === 'string' ? f.copyright : null,
    };
  };
  const body: NonNullable<ArticleIn['body']> = [];
  for (const block of Array.isArray(data.body) ? (data.body as Array<Record<string, unknown>>) : []) {
    if (block.__component === 'content.paragraph') body.push({ __component: 'content.paragraph', text: String(block.text ?? '') });
    else body.push({ __component: 'media.figure', ...(await figure(block)) });
  }
  return snapshotOf({
    headline: typeof data.headline === 'string' ? data.headline : fallback.headline,
    slug: typeof data.slug === 'string' ? data.slug : fallback.slug,
    standfirst: typeof data.standfirst === 'string' ? data.standfirst : null,
    lead: data.lead ? await figure(data.lead) : null,
    body,
  });
}

/** A relation as the admin or the Document Service sends it: an id, a documentId, or connect/set. */
function relationRef(value: unknown): number | string | null {
  if (typeof value === 'number' || typeof value === 'string') return value;
  if (!value || typeof value !== 'object') return null;
  const record = value as Record<string, unknown>;
  for (const key of ['set', 'connect']) {
    const list = record[key];
    if (Array.isArray(list) && list.length > 0) return relationRef(list[list.length - 1]);
  }
  if (typeof record.documentId === 'string') return record.documentId;
  if (typeof record.id === 'number') return record.id;
  return null;
}
