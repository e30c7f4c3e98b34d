import { readFileSync } from 'node:fs';
import path from 'node:path';

import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import draft07MetaSchema from 'ajv/dist/refs/json-schema-draft-07.json';
import addFormats from 'ajv-formats';

import type { ArticleView, BodyBlockView, CreditView, FigureView } from '../../src/representations/article-view';
import { toJsonLd } from '../../src/representations/jsonld';
import { NINJS_SCHEMA_URI, toNinjs } from '../../src/representations/ninjs';
import { formatStoryError, parseStory, slugify, type Story } from '../../src/story';

const PUBLIC_URL = 'https://news.example.org';
const FIXTURES = path.join(__dirname, '../fixtures/ninjs');
const BUNDLED_NAME = '000_2783d38fba8e7824';
const BUNDLED_PATH = path.join(__dirname, '../../data/stories', `${BUNDLED_NAME}.txt`);

const AP: CreditView = {
  documentId: 'credit-ap-0000000000000001',
  name: 'AP',
  fullName: 'The Associated Press',
  url: 'https://apnews.com/',
};

// ---------------------------------------------------------------------------------------------
// The validator: the IPTC ninjs 3.1 schema (draft 2020-12) and the GeoJSON schema it $refs
// (draft-07, so its meta-schema is added), both copied verbatim into tests/fixtures/ninjs.

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(FIXTURES, file), 'utf8')) as Record<string, unknown>;
}

function ninjsValidator(): ValidateFunction {
  // Strict about unknown keywords, but not about two habits of the IPTC schema that are valid JSON
  // Schema: `required` inside oneOf branches naming the parent's properties (contactInfoType,
  // rightsInfo) and `type: array` beside a $ref to a string type (recurrenceDates).
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, strictTypes: false });
  addFormats(ajv);
  ajv.addMetaSchema(draft07MetaSchema);
  ajv.addSchema(readJson('GeoJSON.json'));
  return ajv.compile(readJson('ninjs-schema_3.1.json'));
}

const validateNinjs = ninjsValidator();

function ninjsErrors(item: unknown): ErrorObject[] {
  return validateNinjs(item) ? [] : [...(validateNinjs.errors ?? [])];
}

function expectValidNinjs(item: unknown): void {
  const errors = ninjsErrors(item).map((error) => `${error.instancePath || '/'} ${error.message ?? ''} ${JSON.stringify(error.params)}`);
  expect(errors).toEqual([]);
}

// ---------------------------------------------------------------------------------------------
// Articles shaped as the REST API returns them, built from wire text through the real parser.

function parse(text: string, fileName: string): Story {
  const result = parseStory(text, fileName);
  if (!result.ok) {
    throw new Error(formatStoryError(result.error));
  }
  return result.story;
}

interface ArticleOptions {
  locale?: string;
  documentId?: string;
  images?: Array<FigureView['image']>;
  credit?: CreditView | null;
}

/** An ArticleView for a parsed story: the n-th figure (lead first) gets `images[n]` (default: none). */
function articleFromStory(story: Story, options: ArticleOptions = {}): ArticleView {
  const images = options.images ?? [];
  const credit = options.credit === undefined ? AP : options.credit;
  let figureIndex = 0;
  let blockId = 0;
  const figure = (caption: string): FigureView => {
    const image = images[figureIndex] ?? null;
    figureIndex += 1;
    blockId += 1;
    return { id: blockId, caption, alt: null, credit, image };
  };

  const lead = story.lead ? figure(story.lead.caption) : null;
  const body: BodyBlockView[] = story.body.map((block) => {
    if (block.type === 'paragraph') {
      blockId += 1;
      return { __component: 'content.paragraph', id: blockId, text: block.text };
    }
    return { __component: 'media.figure', ...figure(block.caption) };
  });

  return {
    documentId: options.documentId ?? 'k2x9v8m7n6b5v4c3x2z1a0s9',
    locale: options.locale ?? 'en',
    headline: story.headline,
    slug: slugify(story.headline, story.contentHash),
    standfirst: null,
    firstPublishDate: '2024-05-17T09:30:00.000Z',
    publishedAt: '2024-05-18T07:00:00.000Z',
    updatedAt: '2024-05-18T07:00:00.000Z',
    createdAt: '2024-05-17T08:15:00.000Z',
    lead,
    body,
    credits: credit ? [credit] : [],
  };
}

const bundledStory = parse(readFileSync(BUNDLED_PATH, 'utf8'), `data/stories/${BUNDLED_NAME}.txt`);
const LEAD_IMAGE = { url: '/uploads/putin_harbin_3f2a1c.jpg', width: 1200, height: 800, mime: 'image/jpeg' };
const BODY_IMAGE = { url: 'https://cdn.example.net/uploads/xi_putin_beijing_9b8c7d.jpg', width: 2048, height: 1365, mime: 'image/jpeg' };

function bundledArticle(): ArticleView {
  return articleFromStory(bundledStory, { images: [LEAD_IMAGE, BODY_IMAGE] });
}

/** Paths of every null (and undefined) anywhere in a value: the representations leave such keys out. */
function nullPaths(value: unknown, at = '$'): string[] {
  if (value === null || value === undefined) {
    return [at];
  }
  if (Array.isArray(value)) {
    return value.flatMap((item, index) => nullPaths(item, `${at}[${index}]`));
  }
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>).flatMap(([key, item]) => nullPaths(item, `${at}.${key}`));
  }
  return [];
}

function asRecord(value: unknown): Record<string, unknown> {
  expect(typeof value).toBe('object');
  expect(value).not.toBeNull();
  return value as Record<string, unknown>;
}

function asRecords(value: unknown): Array<Record<string, unknown>> {
  expect(Array.isArray(value)).toBe(true);
  return (value as unknown[]).map(asRecord);
}

const RU_STORY = [
  'Путин посетил «Маленькую Москву» в Китае',
  '',
  'Президент России Владимир Путин и председатель КНР Си Цзиньпин на встрече 16 мая 2024 года. Credit: AP',
  '',
  'Во второй день государственного визита в Китай Путин сосредоточился на торговле и культурном обмене.',
  '',
  'Харбин называют «Маленькой Москвой» — когда-то здесь жили многие русские эмигранты.',
  '',
].join('\n');

const ZH_STORY = [
  '普京访问中国“小莫斯科” 两国继续商讨贸易',
  '',
  '俄罗斯总统普京与中国国家主席习近平于2024年5月16日出席非正式会晤。 Credit: AP',
  '',
  '俄罗斯总统普京在对中国进行国事访问的第二天，重点关注贸易和文化交流。',
  '',
  '哈尔滨是黑龙江省省会，因曾有众多俄罗斯侨民居住而被称为“小莫斯科”。',
  '',
  '习近平和普京在北京人民大会堂举行的欢迎仪式上挥手致意。 Credit: AP',
  '',
  '两国领导人有每年互访的长期约定。',
  '',
].join('\n');

// ---------------------------------------------------------------------------------------------

describe('the ninjs schema fixture', () => {
  it('is the IPTC ninjs 3.1 schema (draft 2020-12) and compiles with its GeoJSON reference', () => {
    const schema = readJson('ninjs-schema_3.1.json');
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.$id).toBe(NINJS_SCHEMA_URI);
    expect(schema.title).toBe('IPTC ninjs - News in JSON - version 3.1');
    expect(typeof validateNinjs).toBe('function');
  });

  it('accepts a minimal item and one of the standard picture shapes', () => {
    expectValidNinjs({ uri: 'http://ninjs.example.com/newsitems/1' });
    expectValidNinjs({
      uri: 'http://ninjs.example.com/newsitems/2',
      type: 'picture',
      places: [{ name: 'Harbin', geoJSON: { type: 'Point', coordinates: [126.63, 45.75] } }],
    });
  });
});

describe('toNinjs on the bundled story', () => {
  const article = bundledArticle();
  const item = toNinjs(article, PUBLIC_URL);

  it('is valid against the IPTC ninjs 3.1 schema', () => {
    expectValidNinjs(item);
  });

  it('is a usable text item with a stable absolute uri per document and locale', () => {
    expect(item.uri).toBe(`${PUBLIC_URL}/api/articles/${article.documentId}/ninjs?locale=en`);
    expect(item.type).toBe('text');
    expect(item.pubStatus).toBe('usable');
    expect(item.language).toBe('en');
    expect(typeof item.version).toBe('string');
    expect(item.firstCreated).toBe(article.createdAt);
    expect(item.versionCreated).toBe(article.updatedAt);
    expect(item.standard).toEqual({ name: 'ninjs', version: '3.1', schema: NINJS_SCHEMA_URI });
  });

  it('changes version, not uri, when the article is saved again', () => {
    const later = toNinjs({ ...article, updatedAt: '2024-05-19T12:00:00.000Z' }, PUBLIC_URL);
    expect(later.uri).toBe(item.uri);
    expect(later.version).not.toBe(item.version);
  });

  it('carries the headline, and no description while there is no standfirst', () => {
    expect(item.headlines).toEqual([{ role: 'main', contentType: 'text/plain', value: bundledStory.headline }]);
    expect(item).not.toHaveProperty('descriptions');
    expect(item).not.toHaveProperty('by');
  });

  it('has a plain-text body of the 13 paragraphs and an HTML body with the figure in place', () => {
    const bodies = asRecords(item.bodies);
    const plain = bodies.find((body) => body.contentType === 'text/plain');
    expect(plain?.role).toBe('main');
    expect(String(plain?.value).split('\n\n')).toHaveLength(13);

    const html = String(bodies.find((body) => body.contentType === 'text/html')?.value);
    expect(html.match(/<p>/g)).toHaveLength(13);
    expect(html.match(/<figure>/g)).toHaveLength(1);
    expect(html).toContain(`<img src="${BODY_IMAGE.url}"`);
    expect(html).toContain('<figcaption>President Xi Jinping and President Vladimir Putin wave');
    expect(html).toContain('<small class="credit">AP</small></figcaption>');
    // The figure sits between the sixth and seventh paragraphs, as in the wire copy.
    expect(html.indexOf('<figure>')).toBeGreaterThan(html.indexOf('Their joint statement'));
    expect(html.indexOf('<figure>')).toBeLessThan(html.indexOf('Russia’s Putin has become isolated'));
    expect(html).toContain('is known as &#39;Little Moscow&#39; because');
  });

  it('associates one picture per figure, lead first, with caption, credit and an absolute rendition', () => {
    const associations = asRecords(item.associations);
    expect(associations.map((association) => association.name)).toEqual(['lead', 'figure-1']);
    for (const association of associations) {
      expect(association.type).toBe('picture');
      expect(String(association.uri).startsWith(`${PUBLIC_URL}/`)).toBe(true);
      expect(association.copyrightHolder).toBe('The Associated Press');
      expect(association.infoSources).toEqual([
        { name: 'The Associated Press', literal: 'AP', contactInfo: [{ type: 'web', value: 'https://apnews.com/' }] },
      ]);
      expect(asRecords(association.descriptions).find((d) => d.role === 'creditline')?.value).toBe('AP');
    }

    const [lead, inBody] = associations;
    expect(asRecords(lead.descriptions)[0]).toEqual({
      role: 'caption',
      contentType: 'text/plain',
      value: bundledStory.lead?.caption,
    });
    expect(lead.renditions).toEqual([
      { name: 'original', href: `${PUBLIC_URL}${LEAD_IMAGE.url}`, contentType: 'image/jpeg', width: 1200, height: 800 },
    ]);
    // An image URL that is already absolute (an upload provider's CDN) is kept as it is.
    expect(asRecords(inBody.renditions)[0].href).toBe(BODY_IMAGE.url);
    expect(String(asRecords(inBody.descriptions)[0].value).startsWith('President Xi Jinping and President')).toBe(true);
  });

  it('has no nulls anywhere', () => {
    expect(nullPaths(item)).toEqual([]);
  });
});

describe('the ninjs validation can fail', () => {
  const item = toNinjs(bundledArticle(), PUBLIC_URL);

  it('rejects an item without a uri', () => {
    const { uri: _uri, ...withoutUri } = item;
    expect(ninjsErrors(withoutUri).some((e) => e.keyword === 'required' && e.params.missingProperty === 'uri')).toBe(true);
  });

  it('rejects a property ninjs does not define (3.x closes the root object)', () => {
    const errors = ninjsErrors({ ...item, headline: 'ninjs 1.x spelling' });
    expect(errors.some((e) => e.keyword === 'unevaluatedProperties' && e.params.unevaluatedProperty === 'headline')).toBe(true);
  });

  it('rejects a numeric version, an unknown type and a relative uri', () => {
    expect(ninjsErrors({ ...item, version: 3 }).some((e) => e.instancePath === '/version' && e.keyword === 'type')).toBe(true);
    expect(ninjsErrors({ ...item, type: 'article' }).some((e) => e.instancePath === '/type' && e.keyword === 'enum')).toBe(true);
    expect(ninjsErrors({ ...item, uri: '/api/articles/x' }).some((e) => e.instancePath === '/uri' && e.keyword === 'format')).toBe(true);
  });

  it('rejects an association without a name and a caption without a value', () => {
    const [lead, ...rest] = asRecords(item.associations);
    const { name: _name, ...nameless } = lead;
    expect(ninjsErrors({ ...item, associations: [nameless, ...rest] }).some((e) => e.params.missingProperty === 'name')).toBe(true);
    const captionless = { ...lead, descriptions: [{ role: 'caption' }] };
    expect(ninjsErrors({ ...item, associations: [captionless, ...rest] }).some((e) => e.params.missingProperty === 'value')).toBe(true);
    const withCaptionKey = { ...lead, caption: 'not a ninjs property' };
    const errors = ninjsErrors({ ...item, associations: [withCaptionKey, ...rest] });
    expect(errors.some((e) => e.instancePath === '/associations/0' && e.params.unevaluatedProperty === 'caption')).toBe(true);
  });

  it('rejects a date that is not a date-time', () => {
    const errors = ninjsErrors({ ...item, versionCreated: '18 May 2024' });
    expect(errors.some((e) => e.instancePath === '/versionCreated' && e.keyword === 'format')).toBe(true);
  });
});

describe('toJsonLd on the bundled story', () => {
  const article = bundledArticle();
  const jsonLd = toJsonLd(article, PUBLIC_URL);
  const pageUrl = `${PUBLIC_URL}/news/${article.slug}`;

  it('is a schema.org NewsArticle at the article page URL', () => {
    expect(jsonLd['@context']).toBe('https://schema.org');
    expect(jsonLd['@type']).toBe('NewsArticle');
    expect(pageUrl).toBe(`${PUBLIC_URL}/news/putin-visits-chinas-little-moscow-as-allies-continue-to-discuss-trade`);
    expect(jsonLd['@id']).toBe(pageUrl);
    expect(jsonLd.url).toBe(pageUrl);
    expect(jsonLd.mainEntityOfPage).toEqual({ '@type': 'WebPage', '@id': pageUrl });
    expect(jsonLd.identifier).toBe(article.documentId);
  });

  it('has the headline, language and dates (published is the first publication)', () => {
    expect(jsonLd.headline).toBe(bundledStory.headline);
    expect(jsonLd.inLanguage).toBe('en');
    expect(jsonLd.datePublished).toBe('2024-05-17T09:30:00.000Z');
    expect(jsonLd.dateModified).toBe('2024-05-18T07:00:00.000Z');
  });

  it('has the body as 13 paragraphs, with no caption or footer in it', () => {
    const body = String(jsonLd.articleBody);
    expect(body.split('\n\n')).toHaveLength(13);
    expect(body.startsWith('Russian President Vladimir Putin focused on trade')).toBe(true);
    expect(body).not.toContain('Credit:');
    expect(body).not.toContain('podcast');
  });

  it('lists the lead and body photos as ImageObjects with caption and credit', () => {
    const images = asRecords(jsonLd.image);
    expect(images).toHaveLength(2);
    expect(images.map((image) => image['@type'])).toEqual(['ImageObject', 'ImageObject']);
    expect(images[0].caption).toBe(bundledStory.lead?.caption);
    expect(String(images[1].caption).startsWith('President Xi Jinping and President Vladimir Putin wave')).toBe(true);
    for (const image of images) {
      expect(image.creditText).toBe('AP');
      expect(image.copyrightNotice).toBe('The Associated Press');
    }
    expect(images[0].contentUrl).toBe(`${PUBLIC_URL}${LEAD_IMAGE.url}`);
    expect(images[0].url).toBe(`${PUBLIC_URL}${LEAD_IMAGE.url}`);
    expect(images[1].contentUrl).toBe(BODY_IMAGE.url);
  });

  it('invents nothing: no author, no description without a standfirst, no nulls', () => {
    expect(jsonLd).not.toHaveProperty('author');
    expect(jsonLd).not.toHaveProperty('description');
    expect(nullPaths(jsonLd)).toEqual([]);
  });

  it('uses only absolute http(s) URLs', () => {
    const urls = [jsonLd['@id'], jsonLd.url, ...asRecords(jsonLd.image).flatMap((image) => [image.contentUrl, image.url])];
    for (const url of urls) {
      expect(String(url)).toMatch(/^https:\/\/[^/]+\//);
    }
  });
});

describe('optional fields', () => {
  it('uses the standfirst as description (JSON-LD) and summary (ninjs)', () => {
    const article = { ...bundledArticle(), standfirst: 'Trade and culture on day two of the state visit.' };
    expect(toJsonLd(article, PUBLIC_URL).description).toBe(article.standfirst);
    const item = toNinjs(article, PUBLIC_URL);
    expect(item.descriptions).toEqual([{ role: 'summary', contentType: 'text/plain', value: article.standfirst }]);
    expectValidNinjs(item);
  });

  it('falls back to publishedAt when firstPublishDate is missing, and leaves the date out when both are', () => {
    const article = bundledArticle();
    expect(toJsonLd({ ...article, firstPublishDate: null }, PUBLIC_URL).datePublished).toBe('2024-05-18T07:00:00.000Z');
    expect(toJsonLd({ ...article, firstPublishDate: null, publishedAt: null }, PUBLIC_URL)).not.toHaveProperty('datePublished');
  });

  it('falls back to the credit name for the copyright notice and holder when there is no full name or URL', () => {
    const shortCredit: CreditView = { documentId: 'credit-getty', name: 'Getty Images', fullName: null, url: null };
    const article = articleFromStory(bundledStory, { credit: shortCredit, images: [LEAD_IMAGE] });
    const image = asRecords(toJsonLd(article, PUBLIC_URL).image)[0];
    expect(image.creditText).toBe('Getty Images');
    expect(image.copyrightNotice).toBe('Getty Images');
    const item = toNinjs(article, PUBLIC_URL);
    const lead = asRecords(item.associations)[0];
    expect(lead.copyrightHolder).toBe('Getty Images');
    expect(lead.infoSources).toEqual([{ name: 'Getty Images', literal: 'Getty Images' }]);
    expectValidNinjs(item);
  });

  it('keeps a figure without an image file: caption and credit, but no URL or rendition', () => {
    const article = articleFromStory(bundledStory, { images: [] });
    const images = asRecords(toJsonLd(article, PUBLIC_URL).image);
    expect(images).toHaveLength(2);
    for (const image of images) {
      expect(image).not.toHaveProperty('contentUrl');
      expect(image).not.toHaveProperty('url');
      expect(image.creditText).toBe('AP');
    }
    const item = toNinjs(article, PUBLIC_URL);
    for (const association of asRecords(item.associations)) {
      expect(association).not.toHaveProperty('renditions');
    }
    expect(String(asRecords(item.bodies)[1].value)).not.toContain('<img');
    expectValidNinjs(item);
  });

  it('keeps a figure without a credit valid, with no credit fields', () => {
    const article = articleFromStory(bundledStory, { credit: null, images: [LEAD_IMAGE, BODY_IMAGE] });
    const image = asRecords(toJsonLd(article, PUBLIC_URL).image)[0];
    expect(image).not.toHaveProperty('creditText');
    expect(image).not.toHaveProperty('copyrightNotice');
    const item = toNinjs(article, PUBLIC_URL);
    expect(asRecords(item.associations)[0]).not.toHaveProperty('copyrightHolder');
    expectValidNinjs(item);
  });

  it('builds URLs under a public URL with a path', () => {
    const base = 'https://example.org/cms';
    const article = bundledArticle();
    const jsonLd = toJsonLd(article, base);
    expect(jsonLd.url).toBe(`${base}/news/${article.slug}`);
    expect(asRecords(jsonLd.image)[0].contentUrl).toBe(`${base}${LEAD_IMAGE.url}`);
    const item = toNinjs(article, base);
    expect(String(item.uri).startsWith(`${base}/api/articles/`)).toBe(true);
    expectValidNinjs(item);
  });
});

describe.each([
  { locale: 'ru', text: RU_STORY, paragraphs: 2, figures: ['lead'] },
  { locale: 'zh-Hans', text: ZH_STORY, paragraphs: 3, figures: ['lead', 'figure-1'] },
])('a $locale article', ({ locale, text, paragraphs, figures }) => {
  const story = parse(text, `stories/${locale}.txt`);
  const article = articleFromStory(story, {
    locale,
    images: [LEAD_IMAGE, { url: '/uploads/рукопожатие 握手.jpg', width: 800, height: 600, mime: 'image/jpeg' }],
  });
  const jsonLd = toJsonLd(article, PUBLIC_URL);
  const item = toNinjs(article, PUBLIC_URL);

  it('keeps its text as written, in its language', () => {
    expect(jsonLd.headline).toBe(story.headline);
    expect(jsonLd.inLanguage).toBe(locale);
    expect(String(jsonLd.articleBody).split('\n\n')).toHaveLength(paragraphs);
    expect(item.language).toBe(locale);
    expect(asRecords(item.headlines)[0].value).toBe(story.headline);
    expect(asRecords(jsonLd.image).map((image) => image.caption)).toEqual(
      [story.lead?.caption, ...story.body.flatMap((b) => (b.type === 'figure' ? [b.caption] : []))],
    );
  });

  it('has ASCII URLs and a valid ninjs item', () => {
    // The reader page of this translation: the default locale's needs no query.
    const query = locale === 'en' ? '' : `\\?locale=${locale}`;
    expect(String(jsonLd.url)).toMatch(new RegExp(`^https://news\\.example\\.org/news/[a-z0-9-]+${query}$`));
    expect(String(item.uri)).toBe(`${PUBLIC_URL}/api/articles/${article.documentId}/ninjs?locale=${encodeURIComponent(locale)}`);
    expect(asRecords(item.associations).map((association) => association.name)).toEqual(figures);
    for (const image of asRecords(jsonLd.image)) {
      expect(String(image.contentUrl)).toMatch(/^[\x21-\x7e]+$/);
    }
    expectValidNinjs(item);
    expect(nullPaths(jsonLd)).toEqual([]);
    expect(nullPaths(item)).toEqual([]);
  });

  it('percent-encodes a non-ASCII file name', () => {
    if (figures.length < 2) return;
    expect(asRecords(jsonLd.image)[1].contentUrl).toBe(
      `${PUBLIC_URL}/uploads/${encodeURIComponent('рукопожатие 握手.jpg')}`,
    );
  });
});

describe('an article with no figures', () => {
  const story = parse(
    ['No pictures today', '', 'The first paragraph.', '', 'The second paragraph.', ''].join('\n'),
    'stories/no-figures.txt',
  );
  const article = articleFromStory(story);

  it('has no image in JSON-LD', () => {
    const jsonLd = toJsonLd(article, PUBLIC_URL);
    expect(article.lead).toBeNull();
    expect(jsonLd).not.toHaveProperty('image');
    expect(jsonLd.articleBody).toBe('The first paragraph.\n\nThe second paragraph.');
    expect(nullPaths(jsonLd)).toEqual([]);
  });

  it('has no associations in ninjs and is still valid', () => {
    const item = toNinjs(article, PUBLIC_URL);
    expect(item).not.toHaveProperty('associations');
    expect(asRecords(item.bodies)[1].value).toBe('<p>The first paragraph.</p>\n<p>The second paragraph.</p>');
    expectValidNinjs(item);
    expect(nullPaths(item)).toEqual([]);
  });
});
