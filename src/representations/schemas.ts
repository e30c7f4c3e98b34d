import { z } from 'zod';

/**
 * What the standard formats answer, as schemas: the types `toJsonLd` and `toNinjs` return, and
 * the schemas the OpenAPI document gives for `/api/articles/{id}/jsonld` and `/ninjs`.
 * A key is left out rather than null (the representations drop empty values).
 */

const Text = z.string().min(1);
const IsoDateTime = z.string().datetime();
const Url = z.string().min(1);
const Pixels = z.number().int().min(1);

const JsonLdPerson = z.object({ '@type': z.literal('Person'), name: Text, jobTitle: Text.optional(), url: Url.optional() }).strict();

const JsonLdImage = z
  .object({
    '@type': z.literal('ImageObject'),
    contentUrl: Url.optional(),
    url: Url.optional(),
    caption: Text.optional(),
    creditText: Text.optional(),
    creator: z.object({ '@type': z.literal('Person'), name: Text }).strict().optional(),
    copyrightNotice: Text.optional(),
    width: Pixels.optional(),
    height: Pixels.optional(),
    encodingFormat: Text.optional(),
  })
  .strict();

export const JsonLdNewsArticle = z
  .object({
    '@context': z.literal('https://schema.org'),
    '@type': z.literal('NewsArticle'),
    '@id': Url,
    url: Url,
    mainEntityOfPage: z.object({ '@type': z.literal('WebPage'), '@id': Url }).strict(),
    identifier: Text.describe('The article\'s documentId'),
    headline: z.string(),
    description: Text.optional(),
    datePublished: IsoDateTime.optional(),
    dateModified: IsoDateTime.optional(),
    inLanguage: Text,
    author: z.array(JsonLdPerson).min(1).optional(),
    dateline: Text.optional(),
    articleSection: Text.optional(),
    keywords: Text.optional(),
    correction: z.array(z.object({ '@type': z.literal('CorrectionComment'), text: z.string(), datePublished: IsoDateTime.optional() }).strict()).min(1).optional(),
    articleBody: z.string(),
    image: z.array(JsonLdImage).min(1).optional(),
  })
  .strict()
  .describe('A schema.org NewsArticle (JSON-LD), as search engines read it');
export type JsonLdNewsArticle = z.infer<typeof JsonLdNewsArticle>;

const NinjsText = z.object({ role: Text, contentType: Text, value: z.string() }).strict();

const NinjsRendition = z.object({ name: Text, href: Url, contentType: Text.optional(), width: Pixels.optional(), height: Pixels.optional() }).strict();

const NinjsPicture = z
  .object({
    name: Text,
    uri: Url,
    type: z.literal('picture'),
    language: Text,
    descriptions: z.array(NinjsText).min(1).optional(),
    by: Text.optional(),
    copyrightHolder: Text.optional(),
    copyrightNotice: Text.optional(),
    infoSources: z
      .array(z.object({ name: Text, literal: Text, contactInfo: z.array(z.object({ type: z.literal('web'), value: Url }).strict()).optional() }).strict())
      .optional(),
    renditions: z.array(NinjsRendition).optional(),
  })
  .strict();

export const NinjsArticle = z
  .object({
    uri: Url,
    standard: z.object({ name: z.literal('ninjs'), version: z.literal('3.1'), schema: Url }).strict(),
    type: z.literal('text'),
    representationType: z.literal('full'),
    version: Text,
    firstCreated: IsoDateTime.optional(),
    versionCreated: IsoDateTime.optional(),
    pubStatus: z.literal('usable'),
    language: Text,
    slugline: z.string(),
    by: Text.optional(),
    located: Text.optional(),
    subjects: z.array(z.object({ name: Text, rel: z.enum(['section', 'tag']), literal: Text, uri: Url.optional() }).strict()).min(1).optional(),
    headlines: z.array(NinjsText).min(1),
    descriptions: z.array(NinjsText).min(1).optional(),
    bodies: z.array(NinjsText).min(1),
    renditions: z.array(NinjsRendition).min(1),
    altIds: z.array(z.object({ role: Text, value: Text }).strict()).min(1),
    associations: z.array(NinjsPicture).min(1).optional(),
  })
  .strict()
  .describe('An IPTC ninjs 3.1 news item (http://www.iptc.org/std/ninjs/ninjs-schema_3.1.json)');
export type NinjsArticle = z.infer<typeof NinjsArticle>;
