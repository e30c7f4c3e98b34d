import type { Core } from '@strapi/strapi';
import { ARTICLE_UID } from '../articles/constants';
import { documentTag } from '../public-view/models';

type Strapi = Core.Strapi;

/**
 * The read-model row of a story the fast path writes, built from what it writes instead of read
 * back through the Document Service (src/read-model/projection.ts `refreshArticle`, about 14
 * statements). Its JSON must be that function's byte for byte, key order included, and the key
 * order of a populated Document Service answer depends on the order its populate queries come
 * back in: so it is learnt, not assumed. The first story of each shape (lead or not, figures in
 * the body or not, authors or not, section or not) takes the ordinary path; once it commits, its
 * row is read and compared with the row built here: only if they are equal, JSON and tags, is the
 * key order kept and the row of later stories of that shape built here. A built row whose keys
 * do not fit the learnt order (say, the Public role's permissions changed) is not used either.
 */
export type Orders = Map<string, string[]>;
type Learnt = { orders: Orders } | 'unusable';
const learnt = new WeakMap<Strapi, Map<string, Learnt>>();

export interface BuiltRow {
  shape: string;
  /** The sanitized article, keys in any order. */
  article: unknown;
  tags: string[];
}

class Mismatch extends Error {}

function pathOf(path: string, element: unknown): string {
  const component = element && typeof element === 'object' ? (element as { __component?: unknown }).__component : undefined;
  return `${path}[]${typeof component === 'string' ? `<${component}>` : ''}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date);
}

/** The key order of every object in `value`, by path (array elements by component). */
export function learnOrders(value: unknown, path = '$', orders: Orders = new Map()): Orders {
  if (Array.isArray(value)) {
    for (const element of value) learnOrders(element, pathOf(path, element), orders);
  } else if (isRecord(value)) {
    const keys = Object.keys(value);
    const known = orders.get(path);
    if (known && known.join('\u0000') !== keys.join('\u0000')) throw new Mismatch(`two key orders at ${path}`);
    orders.set(path, keys);
    for (const key of keys) learnOrders(value[key], `${path}.${key}`, orders);
  }
  return orders;
}

/** `value` with every object's keys in the learnt order; throws if its keys are not the learnt ones. */
export function applyOrders(value: unknown, orders: Orders, path = '$'): unknown {
  if (Array.isArray(value)) return value.map((element) => applyOrders(element, orders, pathOf(path, element)));
  if (!isRecord(value)) return value;
  const order = orders.get(path);
  const keys = Object.keys(value);
  if (!order || order.length !== keys.length || !keys.every((key) => order.includes(key))) throw new Mismatch(`keys at ${path}`);
  return Object.fromEntries(order.map((key) => [key, applyOrders(value[key], orders, `${path}.${key}`)]));
}

/** The row's JSON if this shape's order is known and fits, else undefined (the ordinary path). */
export function rowJson(strapi: Strapi, row: BuiltRow): string | undefined {
  const known = learnt.get(strapi)?.get(row.shape);
  if (!known || known === 'unusable') return undefined;
  try {
    const json = JSON.stringify(applyOrders(row.article, known.orders));
    builtRows.count += 1;
    return json;
  } catch (error) {
    if (error instanceof Mismatch) return undefined;
    throw error;
  }
}

/** Whether this shape still has to be learnt from a row the ordinary path wrote. */
export function shouldLearn(strapi: Strapi, shape: string): boolean {
  return !learnt.get(strapi)?.has(shape);
}

/**
 * After the ordinary path wrote (and committed) the row of a story of this shape: keeps the key
 * order if the row built here matches it exactly, else marks the shape as not to be built here.
 */
export function learnFrom(strapi: Strapi, documentId: string, locale: string, row: BuiltRow): Promise<void> {
  const done = learn(strapi, documentId, locale, row);
  learning.add(done);
  void done.catch(() => undefined).finally(() => learning.delete(done));
  return done;
}

const learning = new Set<Promise<void>>();
/** Rows built here since the process started (tests check the built path is taken). */
export const builtRows = { count: 0 };

/** Resolves once every learning started so far has finished. */
export async function learningDone(): Promise<void> {
  await Promise.allSettled([...learning]);
}

async function learn(strapi: Strapi, documentId: string, locale: string, row: BuiltRow): Promise<void> {
  const written = (await strapi.db.connection('article_read_model').select('json', 'tags').where({ document_id: documentId, locale }).first()) as
    | { json: string; tags: string[] }
    | undefined;
  let result: Learnt = 'unusable';
  if (written) {
    try {
      const orders = learnOrders(JSON.parse(written.json));
      const json = JSON.stringify(applyOrders(row.article, orders));
      if (json === written.json && JSON.stringify(row.tags) === JSON.stringify(written.tags)) result = { orders };
    } catch (error) {
      if (!(error instanceof Mismatch)) throw error;
    }
  }
  let shapes = learnt.get(strapi);
  if (!shapes) learnt.set(strapi, (shapes = new Map()));
  if (!shapes.has(row.shape)) shapes.set(row.shape, result);
}

/**
 * The published article as the public REST API shows it (the Document Service's answer with
 * ARTICLE_POPULATE, sanitized for an anonymous reader as refreshArticle sanitizes it).
 */
export async function sanitizeForPublic(strapi: Strapi, article: Record<string, unknown>): Promise<unknown> {
  return strapi.contentAPI.sanitize.output(article, strapi.contentType(ARTICLE_UID), { auth: await anonymousAuth(strapi) });
}

/** The tags refreshArticle records: every document read to build the row. */
export function rowTags(documentIds: string[]): string[] {
  return [...new Set(documentIds.map(documentTag))].sort();
}

/**
 * The auth of an anonymous request, as refreshArticle makes it (Strapi's content-API
 * authentication for a request without credentials). Made for each row: the Public role's
 * permissions it reads are remembered by src/cache/public-permissions.ts.
 */
async function anonymousAuth(strapi: Strapi): Promise<Record<string, unknown>> {
  const ctx = {
    request: { header: {}, headers: {} },
    state: { route: { info: { type: 'content-api' } } } as { route: unknown; auth?: Record<string, unknown> },
    unauthorized: (message: string) => {
      throw new Error(`the Public role cannot read: ${message}`);
    },
  };
  await strapi.auth.authenticate(ctx as never, async () => undefined);
  if (!ctx.state.auth) throw new Error('no content-API authentication for anonymous requests');
  return ctx.state.auth;
}
