import { errors } from '@strapi/utils';
import { ARTICLE_POPULATE } from './constants';

type PopulateKey = keyof typeof ARTICLE_POPULATE;
const KEYS = Object.keys(ARTICLE_POPULATE) as PopulateKey[];

/**
 * The populate tree of a public article read: the server's whole tree when the client sends
 * none, else the subset of its top-level keys the client names. A client can narrow, never widen
 * (no createdBy, no deeper or other relations): what it asks for below a key is replaced by the
 * server's subtree.
 */
export function narrowPopulate(requested: unknown): Partial<typeof ARTICLE_POPULATE> {
  if (requested === undefined || requested === '' || requested === '*') return ARTICLE_POPULATE;
  const names = requestedKeys(requested);
  const unknown = names.filter((name) => !(KEYS as string[]).includes(name));
  if (unknown.length > 0) {
    throw new errors.ValidationError(`Invalid populate: ${unknown.join(', ')} (allowed: ${KEYS.join(', ')})`);
  }
  return Object.fromEntries(names.map((name) => [name, ARTICLE_POPULATE[name as PopulateKey]]));
}

function requestedKeys(requested: unknown): string[] {
  if (typeof requested === 'string') return requested === '*' ? KEYS : requested.split(',').map((s) => s.trim()).filter(Boolean);
  if (Array.isArray(requested)) return requested.flatMap((item) => requestedKeys(item));
  if (requested && typeof requested === 'object') {
    if (Object.keys(requested).includes('*')) return KEYS;
    return Object.keys(requested);
  }
  throw new errors.ValidationError('Invalid populate');
}
