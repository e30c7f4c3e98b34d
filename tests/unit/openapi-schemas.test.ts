import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { z } from 'zod';
import { nullable, zodToJsonSchema } from '../../src/openapi/zod-json';
import { SearchAnswer } from '../../src/search/query';
import { JsonLdNewsArticle, NinjsArticle } from '../../src/representations/schemas';
import { toJsonLd } from '../../src/representations/jsonld';
import { toNinjs } from '../../src/representations/ninjs';
import type { ArticleView } from '../../src/representations/article-view';

/** The zod → JSON Schema step of the OpenAPI document: what the code checks is what it says. */
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);

describe('zodToJsonSchema', () => {
  it('keeps what a schema accepts: types, bounds, patterns, enums, required keys, strict objects', () => {
    const schema = z
      .object({
        q: z.string().min(1).max(10),
        page: z.coerce.number().int().min(1).max(5).optional(),
        sort: z.enum(['relevance', 'newest']).default('relevance'),
        slug: z.string().regex(/^[a-z]+$/).nullable(),
      })
      .strict();
    expect(zodToJsonSchema(schema, 'input')).toEqual({
      type: 'object',
      properties: {
        q: { type: 'string', minLength: 1, maxLength: 10 },
        page: { type: 'integer', minimum: 1, maximum: 5 },
        sort: { type: 'string', enum: ['relevance', 'newest'], default: 'relevance' },
        slug: { type: ['string', 'null'], pattern: '^[a-z]+$' },
      },
      required: ['q', 'slug'],
      additionalProperties: false,
    });
    // An answer with a default always has the key.
    expect(zodToJsonSchema(schema, 'output').required).toEqual(['q', 'sort', 'slug']);
  });

  it('agrees with zod on what it accepts and refuses', () => {
    const checks: Array<[z.ZodTypeAny, unknown[], unknown[]]> = [
      [z.object({ a: z.string(), b: z.number().int().optional() }).strict(), [{ a: 'x' }, { a: 'x', b: 2 }], [{}, { a: 1 }, { a: 'x', b: 1.5 }, { a: 'x', c: 1 }]],
      [z.array(z.enum(['x', 'y'])).min(1), [['x'], ['x', 'y']], [[], ['z'], 'x']],
      [z.union([z.literal('a'), z.null()]), ['a', null], ['b', 1]],
      [z.enum(['a', 'b']).nullable(), ['a', null], ['c']],
      [z.string().datetime(), ['2026-12-03T10:00:00.000Z'], ['yesterday']],
    ];
    for (const [schema, good, bad] of checks) {
      const validate = ajv.compile(zodToJsonSchema(schema));
      for (const value of good) expect([value, schema.safeParse(value).success, validate(value)]).toEqual([value, true, true]);
      for (const value of bad) expect([value, schema.safeParse(value).success, validate(value)]).toEqual([value, false, false]);
    }
  });

  it('never makes a permissive schema out of one it cannot read: it throws', () => {
    expect(() => zodToJsonSchema(z.bigint() as never)).toThrow(/ZodBigInt/);
    expect(() => zodToJsonSchema(z.string().transform((s) => s.length), 'output')).toThrow(/transform/);
    expect(nullable({ $ref: '#/x' })).toEqual({ anyOf: [{ $ref: '#/x' }, { type: 'null' }] });
  });
});

describe('the answers the document describes by zod schemas', () => {
  const article: ArticleView = {
    documentId: 'abc123',
    locale: 'en',
    headline: 'Harbor reopens',
    slug: 'harbor-reopens',
    standfirst: 'After the storm.',
    authors: [{ documentId: 'a1', name: 'Pat Reporter', slug: 'pat-reporter', title: null, url: null }],
    section: { documentId: 's1', name: 'World', slug: 'world' },
    tags: [{ documentId: 't1', name: 'Storms', slug: 'storms', mediaTopic: null }],
    corrections: [{ kind: 'correction', text: 'An earlier version misspelt the harbor.', date: '2026-12-01T10:00:00.000Z' }],
    firstPublishDate: '2026-12-01T09:00:00.000Z',
    publishedAt: '2026-12-01T10:00:00.000Z',
    updatedAt: '2026-12-01T10:00:00.000Z',
    createdAt: '2026-12-01T08:00:00.000Z',
    lead: { caption: 'A crane at dawn.', credit: { documentId: 'c1', name: 'AP', fullName: 'Associated Press', url: 'https://apnews.com' }, image: { url: '/uploads/crane.jpg', width: 1200, height: 800, mime: 'image/jpeg', formats: { small: { url: '/uploads/small_crane.jpg', width: 500, height: 333, mime: 'image/jpeg' } } } },
    body: [
      { __component: 'content.paragraph', text: 'The harbor reopened on Monday.' },
      { __component: 'media.figure', caption: 'Ships return.', credit: { documentId: 'c2', name: 'Reuters' }, image: null },
    ],
  };

  it('JSON-LD and ninjs of a full article are what their schemas (and the document) say', () => {
    expect(JsonLdNewsArticle.parse(toJsonLd(article, 'https://news.example'))).toBeTruthy();
    expect(NinjsArticle.parse(toNinjs(article, 'https://news.example'))).toBeTruthy();
    expect(ajv.validate(zodToJsonSchema(JsonLdNewsArticle), toJsonLd(article, 'https://news.example'))).toBe(true);
    expect(ajv.validate(zodToJsonSchema(NinjsArticle), toNinjs(article, 'https://news.example'))).toBe(true);
    // …and a bare one (no photos, authors or section).
    const bare: ArticleView = { ...article, standfirst: null, authors: [], section: null, tags: [], corrections: [], lead: null, body: [{ __component: 'content.paragraph', text: 'Text.' }] };
    expect(ajv.validate(zodToJsonSchema(JsonLdNewsArticle), toJsonLd(bare, 'https://news.example'))).toBe(true);
    expect(ajv.validate(zodToJsonSchema(NinjsArticle), toNinjs(bare, 'https://news.example'))).toBe(true);
    expect(ajv.validate(zodToJsonSchema(NinjsArticle), { ...toNinjs(bare, 'https://news.example'), headlines: 'Text' })).toBe(false);
  });

  it('a search answer without its facets is not one', () => {
    const answer = { data: [], meta: { pagination: { page: 1, pageSize: 10, pageCount: 0, total: 0 }, facets: { sections: [], tags: [] }, capped: false } };
    const validate = ajv.compile(zodToJsonSchema(SearchAnswer));
    expect(validate(answer)).toBe(true);
    expect(validate({ ...answer, meta: { ...answer.meta, facets: undefined } })).toBe(false);
    expect(validate({ ...answer, meta: { ...answer.meta, pagination: { ...answer.meta.pagination, pageSize: 51 } } })).toBe(false);
  });
});
