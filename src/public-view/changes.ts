import { AsyncLocalStorage } from 'node:async_hooks';
import type { Core } from '@strapi/strapi';
import type { Knex } from 'knex';
import { documentTag, PERMISSION_MODELS, type PublicModels } from './models';

/**
 * What a write changed, captured where every write lands: the database layer's lifecycle events
 * (create, update, delete, one or many rows), whatever made the write: the admin, the content API,
 * a GraphQL mutation, the importer, bulk actions, the media library, a permission change, a job.
 *
 * Inside a transaction the changes are collected and, at the end of the outermost transaction,
 * handed to the in-transaction handlers (the read model is rewritten there, so it commits or rolls
 * back with the write); once it commits, to the after-commit handlers (the cache purge, on every
 * instance). A write outside any transaction (autocommitted) is handled at once.
 */
export class ChangeSet {
  /** Changed documents by content type. */
  readonly documents = new Map<string, Set<string>>();
  /** Who may read what changed (a role or permission). */
  permissions = false;
  /** Articles whose read-model rows the write itself has rewritten (the importer's fast path). */
  readonly readModelWritten = new Set<string>();
  /** Documents whose public row the write deleted (an unpublish, a delete; a publish replaces it). */
  readonly removed = new Set<string>();
  /** Documents whose public row the write created (a publish, a create). */
  readonly created = new Set<string>();

  add(uid: string, documentIds: Iterable<string>): void {
    let ids = this.documents.get(uid);
    if (!ids) this.documents.set(uid, (ids = new Set()));
    for (const id of documentIds) ids.add(id);
  }

  get empty(): boolean {
    return !this.permissions && this.documents.size === 0;
  }

  /**
   * Whether something public stopped being public: a row removed and not replaced in the same
   * write (a publish deletes the old published row and creates the new one), or who may read
   * what changed. Caches must then drop their copies outright, not serve them stale.
   */
  get takesDown(): boolean {
    if (this.permissions) return true;
    for (const id of this.removed) if (!this.created.has(id)) return true;
    return false;
  }

  /** The cache tags this change purges: each document's, and the lists of its type. */
  tags(models: PublicModels): string[] {
    const tags = new Set<string>();
    for (const [uid, ids] of this.documents) {
      const model = models.byUid.get(uid);
      if (model) tags.add(model.listTag);
      for (const id of ids) tags.add(documentTag(id));
    }
    return [...tags];
  }

  ids(uid: string): string[] {
    return [...(this.documents.get(uid) ?? [])];
  }
}

export interface ChangeHandlers {
  /** Runs inside the write's transaction, after its last statement. */
  inTransaction(changes: ChangeSet, trx: Knex.Transaction): Promise<void>;
  /** Runs once the write has committed. */
  afterCommit(changes: ChangeSet): void;
}

interface LifecycleEvent {
  action: string;
  model: { uid: string };
  params: { where?: Record<string, unknown>; data?: unknown };
  result?: unknown;
  state: { rows?: ChangedRow[] };
}

interface ChangedRow {
  documentId?: string | null;
  publishedAt?: unknown;
}

const pending = new AsyncLocalStorage<ChangeSet>();

export function installChangeCapture(strapi: Core.Strapi, models: PublicModels, handlers: ChangeHandlers): void {
  wrapTransactions(strapi, handlers);
  const tracked = (uid: string) => models.byUid.has(uid) || PERMISSION_MODELS.has(uid);
  inTransactionAlways(strapi, tracked);
  (strapi as unknown as { [NOTE]: Note })[NOTE] = (uid, documentIds, readModelWritten) => {
    const changes = pending.getStore();
    if (!changes) return;
    changes.add(uid, documentIds);
    if (readModelWritten) for (const id of documentIds) changes.readModelWritten.add(id);
  };

  const note = async (uid: string, rows: ChangedRow[], kind: 'create' | 'update' | 'delete') => {
    const changes = new ChangeSet();
    if (PERMISSION_MODELS.has(uid)) changes.permissions = true;
    else {
      const model = models.byUid.get(uid);
      // A draft row changes nothing the public can see (its published row is another row).
      const visible = rows.filter((row) => !(model?.draftAndPublish && row.publishedAt === null));
      const ids = visible.map((row) => row.documentId).filter((id): id is string => typeof id === 'string');
      changes.add(uid, ids);
      if (changes.ids(uid).length === 0) return;
      if (kind !== 'update') for (const id of ids) changes[kind === 'create' ? 'created' : 'removed'].add(id);
    }
    const collecting = pending.getStore();
    if (collecting) {
      merge(collecting, changes);
      return;
    }
    // Not in a transaction (see inTransactionAlways: only a write made past the entity manager
    // gets here): the write is visible to everyone now.
    await strapi.db.transaction(async ({ trx }) => handlers.inTransaction(changes, trx));
    handlers.afterCommit(changes);
  };

  // Rows a where-clause write is about to touch, read before it runs (a delete leaves none after).
  const before = async (event: LifecycleEvent) => {
    if (!tracked(event.model.uid)) return;
    event.state.rows = await matchingRows(strapi, models, event.model.uid, event.params.where ?? {});
  };
  const after = (kind: 'create' | 'update' | 'delete', rows: (event: LifecycleEvent) => ChangedRow[] | Promise<ChangedRow[]>) => async (event: LifecycleEvent) => {
    if (!tracked(event.model.uid)) return;
    await note(event.model.uid, await rows(event), kind);
  };
  const single = (event: LifecycleEvent): ChangedRow[] => (event.result && typeof event.result === 'object' ? [event.result as ChangedRow] : []);

  strapi.db.lifecycles.subscribe({
    beforeUpdateMany: before,
    beforeDeleteMany: before,
    afterCreate: after('create', single),
    afterUpdate: after('update', single),
    afterDelete: after('delete', single),
    afterCreateMany: after('create', async (event) => {
      const ids = (event.result as { ids?: unknown[] } | undefined)?.ids ?? [];
      if (ids.length === 0) return [];
      return matchingRows(strapi, models, event.model.uid, { id: { $in: ids } });
    }),
    afterUpdateMany: after('update', (event) => event.state.rows ?? []),
    afterDeleteMany: after('delete', (event) => event.state.rows ?? []),
  } as never);
}

/** Where an app keeps its `noteChanged` (on the app: one per app, whichever copy of this module asks). */
const NOTE = Symbol.for('news.public-view.note-changed');
type Note = (uid: string, documentIds: string[], readModelWritten: boolean) => void;

/**
 * Notes documents changed by a write that bypassed the database layer's lifecycles (the
 * importer's multi-row inserts), as those events would have: handled like them at the end of the
 * enclosing transaction, which the write must run in (outside one, or before the capture is
 * installed, nothing is noted: as for a lifecycle event then).
 */
export function noteChanged(strapi: Core.Strapi, uid: string, documentIds: string[], options: { readModelWritten?: boolean } = {}): void {
  (strapi as unknown as { [NOTE]?: Note })[NOTE]?.(uid, documentIds, options.readModelWritten === true);
}

/** The change without the articles whose read-model rows the write has rewritten itself. */
export function withoutWrittenRows(changes: ChangeSet, articleUid: string): ChangeSet {
  if (changes.readModelWritten.size === 0) return changes;
  const rest = new ChangeSet();
  rest.permissions = changes.permissions;
  for (const id of changes.removed) rest.removed.add(id);
  for (const id of changes.created) rest.created.add(id);
  for (const [uid, ids] of changes.documents) rest.add(uid, uid === articleUid ? [...ids].filter((id) => !changes.readModelWritten.has(id)) : ids);
  return rest;
}

function merge(into: ChangeSet, from: ChangeSet): void {
  if (from.permissions) into.permissions = true;
  for (const [uid, ids] of from.documents) into.add(uid, ids);
  for (const id of from.removed) into.removed.add(id);
  for (const id of from.created) into.created.add(id);
}

async function matchingRows(strapi: Core.Strapi, models: PublicModels, uid: string, where: Record<string, unknown>): Promise<ChangedRow[]> {
  if (PERMISSION_MODELS.has(uid)) return [{}];
  const draftAndPublish = models.byUid.get(uid)?.draftAndPublish === true;
  // The Document Service's own writes name the document: no need to read it.
  if (typeof where.documentId === 'string') {
    const publishedAt = (where.publishedAt as { $null?: unknown } | null | undefined) === null || (where.publishedAt as { $null?: unknown } | undefined)?.$null === true ? null : 'any';
    return [{ documentId: where.documentId, publishedAt }];
  }
  return (await strapi.db.query(uid as never).findMany({ where, select: draftAndPublish ? ['documentId', 'publishedAt'] : ['documentId'] })) as ChangedRow[];
}

/**
 * Every outermost `strapi.db.transaction(callback)` (the Document Service wraps each action in
 * one; the importer wraps a whole story) collects its changes and hands them over before it
 * commits. Nested calls join the outer transaction; calls without a callback are Strapi's
 * internal helpers, whose writes surface as lifecycle events of an enclosing call.
 */
function wrapTransactions(strapi: Core.Strapi, handlers: ChangeHandlers): void {
  const database = strapi.db as unknown as { transaction: (callback?: TransactionCallback) => Promise<unknown>; inTransaction(): boolean };
  const transaction = database.transaction.bind(database);
  database.transaction = (callback?: TransactionCallback) => {
    if (!callback || database.inTransaction()) return transaction(callback);
    const changes = new ChangeSet();
    return pending.run(changes, () =>
      transaction(async (params: TransactionParams) => {
        const result = await callback(params);
        if (!changes.empty) {
          await handlers.inTransaction(changes, params.trx);
          params.onCommit(() => handlers.afterCommit(changes));
        }
        return result;
      })
    );
  };
}

const WRITES = ['create', 'createMany', 'update', 'updateMany', 'delete', 'deleteMany'] as const;

/**
 * A write to a tracked model that Strapi makes without a transaction (the media library and the
 * permission plugins call the entity manager directly; each statement would autocommit) runs in
 * one: its change is then handed over, and its purge written to the outbox, in the transaction
 * that makes the write, as for every other write.
 */
function inTransactionAlways(strapi: Core.Strapi, tracked: (uid: string) => boolean): void {
  const database = strapi.db as unknown as { transaction: (callback: () => Promise<unknown>) => Promise<unknown>; inTransaction(): boolean };
  const manager = strapi.db.entityManager as unknown as Record<(typeof WRITES)[number], (uid: string, params?: unknown) => Promise<unknown>>;
  for (const method of WRITES) {
    const write = manager[method];
    manager[method] = function (this: unknown, uid: string, params?: unknown) {
      if (!tracked(uid) || database.inTransaction()) return write.call(this, uid, params);
      return database.transaction(() => write.call(this, uid, params));
    };
  }
}

interface TransactionParams {
  trx: Knex.Transaction;
  onCommit(callback: () => void): void;
  onRollback(callback: () => void): void;
}
type TransactionCallback = (params: TransactionParams) => Promise<unknown>;
