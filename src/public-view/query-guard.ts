import { AsyncLocalStorage } from 'node:async_hooks';
import { dirname } from 'node:path';
import type { Core } from '@strapi/strapi';
import { documentTag, type PublicModels } from './models';
import { currentReadTags, publishedOnly, type ReadTags } from './scope';

/**
 * The narrowest waist every read crosses: Strapi builds each SQL query (a Document Service call,
 * each relation it populates, a GraphQL association, a relation filter's join, a count) with
 * `db.entityManager.createQueryBuilder`. Wrapped here, so that for any public request:
 *
 * - a draft-and-publish table is read for published rows only: the query's own table gets
 *   `published_at IS NOT NULL`, and every join into such a table carries the same condition in
 *   its ON clause (a relation filter then neither matches nor counts a draft, and `$null` / `$not`
 *   filters see exactly what a reader sees);
 * - the documents whose rows are read are recorded (cache tags), and a query that is not pinned
 *   to given documents records its list tag, as does a join into another content type's table.
 */

// The query types that read rows.
const READS = new Set(['select', 'count', 'max', 'min']);

interface JoinState {
  method?: string;
  alias: string;
  referencedTable: string;
}

interface QueryBuilderLike {
  state: { type: string; where: unknown[]; joins: JoinState[]; processed: boolean };
  where(where: Record<string, unknown>): unknown;
  processState(): void;
  execute(options?: { mapResults?: boolean }): Promise<unknown>;
}

interface KnexModule {
  QueryBuilder: { extend(name: string, fn: (this: KnexJoiner, table: string, callback: JoinCallback) => unknown): void; [REGISTERED]?: true };
}
const REGISTERED = Symbol.for('news.publishedJoins');
type JoinCallback = (this: KnexJoinClause, inner: KnexJoinClause) => void;
interface KnexJoinClause {
  onNotNull(column: string): KnexJoinClause;
  onNull(column: string): KnexJoinClause;
  orOnVal(column: string, operator: string, value: unknown): KnexJoinClause;
  on(group: (this: KnexJoinClause) => void): KnexJoinClause;
}
interface KnexJoiner {
  leftJoin(table: string, callback: (this: KnexJoinClause, inner: KnexJoinClause) => void): unknown;
  innerJoin(table: string, callback: (this: KnexJoinClause, inner: KnexJoinClause) => void): unknown;
}

/** Join methods that add `<alias>.published_at IS NOT NULL` to the ON clause of Strapi's join. */
export const PUBLISHED_JOIN: Record<string, string> = { leftJoin: 'newsLeftJoinPublished', innerJoin: 'newsInnerJoinPublished' };
/** The same, for a table whose published rows end at `unpublish_at`: not past it either. */
export const LIVE_JOIN: Record<string, string> = { leftJoin: 'newsLeftJoinLive', innerJoin: 'newsInnerJoinLive' };

/**
 * Registers the two join methods on the knex that Strapi's database layer uses (knex's own
 * extension point). Strapi applies a join as `qb[join.method](\`${table} as ${alias}\`, callback)`.
 */
export function registerPublishedJoins(): void {
  const knexPath = require.resolve('knex', { paths: [dirname(require.resolve('@strapi/database'))] });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const knex = require(knexPath) as KnexModule;
  if (knex.QueryBuilder[REGISTERED]) return; // once per knex (extend refuses a second time)
  knex.QueryBuilder[REGISTERED] = true;
  for (const [kinds, live] of [[PUBLISHED_JOIN, false], [LIVE_JOIN, true]] as const) {
    for (const [method, name] of Object.entries(kinds)) {
      knex.QueryBuilder.extend(name, function (this: KnexJoiner, table: string, callback: JoinCallback) {
        const alias = / as (\S+)$/.exec(table)?.[1];
        if (!alias) throw new Error(`published-only join: no alias in "${table}"`);
        return this[method as 'leftJoin' | 'innerJoin'](table, function (this: KnexJoinClause) {
          callback.call(this, this);
          this.onNotNull(`${alias}.published_at`);
          if (live) {
            this.on(function (this: KnexJoinClause) {
              this.onNull(`${alias}.unpublish_at`).orOnVal(`${alias}.unpublish_at`, '>', new Date());
            });
          }
        });
      });
    }
  }
}

const executing = new AsyncLocalStorage<true>();

export function installQueryGuard(strapi: Core.Strapi, models: PublicModels): void {
  registerPublishedJoins();
  const entityManager = strapi.db.entityManager as unknown as { createQueryBuilder(uid: string): QueryBuilderLike };
  const create = entityManager.createQueryBuilder.bind(entityManager);
  entityManager.createQueryBuilder = (uid: string) => {
    const qb = create(uid);
    const hideDrafts = publishedOnly(strapi);
    const tags = currentReadTags();
    if (hideDrafts || tags) guard(qb, uid, models, hideDrafts, tags, executing.getStore() === true);
    return qb;
  };
}

function guard(qb: QueryBuilderLike, uid: string, models: PublicModels, hideDrafts: boolean, tags: ReadTags | undefined, nested: boolean): void {
  const model = models.byUid.get(uid);
  let pinned: string[] | 'ids' | null = null;

  const processState = qb.processState;
  qb.processState = function (this: QueryBuilderLike) {
    if (qb.state.processed) return processState.call(qb);
    const reading = READS.has(qb.state.type);
    if (reading && hideDrafts && models.draftUids.has(uid)) qb.where({ publishedAt: { $notNull: true } });
    // Past its unpublishAt, a published row is not public, even before its job unpublishes it.
    if (reading && hideDrafts && models.expiringUids.has(uid)) qb.where({ $or: [{ unpublishAt: { $null: true } }, { unpublishAt: { $gt: new Date() } }] });
    if (reading && tags) pinned = pinnedDocuments(qb.state.where);
    processState.call(qb);
    if (!reading) return;
    for (const join of qb.state.joins) {
      if (hideDrafts && models.draftTables.has(join.referencedTable)) {
        const kinds = models.expiringTables.has(join.referencedTable) ? LIVE_JOIN : PUBLISHED_JOIN;
        join.method = kinds[join.method ?? 'leftJoin'] ?? join.method;
      }
      const target = models.byTable.get(join.referencedTable);
      if (tags && target) tags.add(target.listTag);
    }
  };

  if (!tags || !model) return;
  const execute = qb.execute;
  qb.execute = async function (this: QueryBuilderLike, options?: { mapResults?: boolean }) {
    const result = await executing.run(true, () => execute.call(qb, options));
    if (!READS.has(qb.state.type)) return result;
    record(tags, model.listTag, result, pinned, nested, qb.state.type === 'select');
    return result;
  };
}

function record(tags: ReadTags, listTag: string, result: unknown, pinned: string[] | 'ids' | null, nested: boolean, select: boolean): void {
  const rows = Array.isArray(result) ? result : result && typeof result === 'object' ? [result] : [];
  let unnamed = false;
  if (select) {
    for (const row of rows as Array<Record<string, unknown>>) {
      const ends = row.unpublishAt ?? row.unpublish_at;
      if (ends) tags.expireAt(new Date(ends as string).getTime());
      const id = row.documentId ?? row.document_id;
      if (typeof id === 'string') (!nested && pinned === null ? tags.listed : tags.tags).add(documentTag(id));
      // A row read by its id without its documentId (a GraphQL association loading its parent)
      // was named when it was first read; an unnamed row of a list is not.
      else if (pinned === null) unnamed = true;
    }
  }
  if (Array.isArray(pinned)) {
    // Pinned to documents: a change to one of them (say, its first publish) is what changes this.
    for (const id of pinned) tags.add(documentTag(id));
  } else if ((!nested && pinned === null) || unnamed || (pinned === 'ids' && rows.length === 0)) {
    // A list (or rows that cannot be named): any change to this type may change it.
    tags.add(listTag);
  }
}

/**
 * The documents a query is pinned to by its where clause (`documentId` equal to, or in, given
 * values), `'ids'` when it is pinned by row ids, else null (a list).
 */
export function pinnedDocuments(where: unknown[]): string[] | 'ids' | null {
  const documents: string[] = [];
  let byId = false;
  const visit = (clause: unknown) => {
    if (!clause || typeof clause !== 'object' || Array.isArray(clause)) return;
    const record = clause as Record<string, unknown>;
    const values = documentIdValues(record.documentId);
    if (values) documents.push(...values);
    if (record.id !== undefined && record.id !== null) byId = true;
    if (Array.isArray(record.$and)) record.$and.forEach(visit);
  };
  where.forEach(visit);
  if (documents.length > 0) return documents;
  return byId ? 'ids' : null;
}

function documentIdValues(value: unknown): string[] | null {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  if (value && typeof value === 'object') {
    const operators = value as Record<string, unknown>;
    if (typeof operators.$eq === 'string') return [operators.$eq];
    if (Array.isArray(operators.$in) && operators.$in.every((v) => typeof v === 'string')) return operators.$in as string[];
  }
  return null;
}
