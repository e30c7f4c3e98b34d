import { errors } from '@strapi/utils';
import { z } from 'zod';
import { LocaleCode } from '../bootstrap/locales';

/** `pagination[…]` of a list: page and pageSize (capped at the API's maxLimit), or start and limit. */
export const Pagination = z
  .object({
    page: z.coerce.number().int().min(1).max(1_000_000).optional(),
    pageSize: z.coerce.number().int().min(1).optional(), // above 100 is capped, not refused
    start: z.coerce.number().int().min(0).max(100_000_000).optional(),
    limit: z.coerce.number().int().min(-1).optional(),
    withCount: z.enum(['true', 'false']).optional(),
  })
  .strict();

/** The query of an article's standard formats (JSON-LD, ninjs): the locale, nothing else. */
export const FormatQuery = z.object({ locale: LocaleCode.default('en') }).strict();

const ARRAY_OPERATORS = new Set(['$in', '$notIn', '$between']);

function checkFilters(value: unknown, depth: number): void {
  if (depth > 12) throw new errors.ValidationError('Invalid filters: nested too deeply');
  if (!value || typeof value !== 'object') return;
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    if (ARRAY_OPERATORS.has(key) && !Array.isArray(child)) {
      // qs turns an index past its array limit into an object key, and Strapi then drops the
      // whole condition: the filter would silently match everything.
      throw new errors.ValidationError(`Invalid filters: ${key} takes a list of at most 100 values`);
    }
    checkFilters(child, depth + 1);
  }
}

/**
 * `fields`, which would leave out attributes the API's contract says are always there; and
 * what Strapi accepts but mishandles: pagination it clamps silently (page -1 became page 1) or
 * reads as "everything" (limit=abc), and list operators it drops. Answered 400 instead.
 */
export function checkListQuery(query: Record<string, unknown>): void {
  if (query.fields !== undefined) {
    // An answer's records are whole, as the API's document describes them (GET /api/openapi.json).
    throw new errors.ValidationError('Invalid query: fields is not taken here: every record comes whole (narrow relations with populate, or choose fields with GraphQL)');
  }
  if (query.pagination !== undefined) {
    const parsed = Pagination.safeParse(query.pagination);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new errors.ValidationError(`Invalid pagination${issue.path.length ? `[${issue.path.join('.')}]` : ''}: ${issue.message}`);
    }
  }
  if (query.filters !== undefined) checkFilters(query.filters, 0);
}
