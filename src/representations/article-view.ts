/**
 * A published article as the REST API returns it with the default (full) populate: the one input
 * of every representation (schema.org JSON-LD, IPTC ninjs). Plain data, no Strapi types, so the
 * representations stay pure functions that a unit test can drive without a database.
 */

export interface CreditView {
  documentId: string;
  name: string;
  fullName?: string | null;
  url?: string | null;
}

/** A stored image file or one of its responsive formats. */
export interface ImageFileView {
  url: string;
  width?: number | null;
  height?: number | null;
  mime?: string | null;
}

export interface FigureView {
  id?: number;
  caption?: string | null;
  alt?: string | null;
  credit?: CreditView | null;
  photographer?: string | null;
  copyright?: string | null;
  image?: (ImageFileView & { formats?: Record<string, ImageFileView | null> | null }) | null;
}

export type BodyBlockView =
  | { __component: 'content.paragraph'; id?: number; text: string }
  | ({ __component: 'media.figure' } & FigureView);

export interface AuthorView {
  documentId: string;
  name: string;
  slug: string;
  title?: string | null;
  url?: string | null;
}

export interface SectionView {
  documentId: string;
  name: string;
  slug: string;
}

export interface TagView {
  documentId: string;
  name: string;
  slug: string;
  mediaTopic?: string | null;
}

export interface CorrectionView {
  kind: 'correction' | 'clarification';
  text: string;
  date?: string | null;
}

export interface ArticleView {
  documentId: string;
  locale: string;
  headline: string;
  slug: string;
  standfirst?: string | null;
  byline?: string | null;
  dateline?: string | null;
  authors?: AuthorView[];
  section?: SectionView | null;
  tags?: TagView[];
  corrections?: CorrectionView[];
  firstPublishDate?: string | null;
  publishedAt?: string | null;
  updatedAt: string;
  createdAt: string;
  lead?: FigureView | null;
  body: BodyBlockView[];
  credits?: CreditView[];
}

/** A figure with the name it goes by in the representations: `lead`, then `figure-1`, `figure-2`… in body order. */
export interface NamedFigure {
  name: string;
  figure: FigureView;
}

/**
 * How the byline reads: the editor's `byline` text when set ("By X and Y, Associated Press"),
 * else the authors' names (`By A`, `By A and B`, `By A, B and C`); undefined without either.
 */
export function bylineText(article: ArticleView): string | undefined {
  const own = presentText(article.byline);
  if (own) return own;
  const names = (article.authors ?? []).map((a) => a.name);
  if (names.length === 0) return undefined;
  return `By ${names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`}`;
}

/**
 * Who wrote it, as names (a feed's dc:creator, Atom's author): the authors' records, else the
 * byline without its "By" ("By X and Y, Associated Press" → "X and Y, Associated Press").
 */
export function creatorNames(article: ArticleView): string[] {
  const names = (article.authors ?? []).map((a) => presentText(a.name)).filter((name): name is string => name !== undefined);
  if (names.length > 0) return names;
  const byline = presentText(article.byline)?.replace(/^by\s+/i, '').trim();
  return byline ? [byline] : [];
}

/** Corrections that are out (dated at a publish), newest first. */
export function publishedCorrections(article: ArticleView): Array<CorrectionView & { date: string }> {
  return (article.corrections ?? [])
    .filter((c): c is CorrectionView & { date: string } => typeof c.date === 'string' && c.date !== '')
    .sort((a, b) => b.date.localeCompare(a.date));
}

/** Paragraph texts in reading order. */
export function paragraphTexts(article: ArticleView): string[] {
  return article.body.flatMap((block) => (block.__component === 'content.paragraph' ? [block.text] : []));
}

/** The lead figure first, then the body figures in reading order. */
export function figuresInOrder(article: ArticleView): NamedFigure[] {
  const figures: NamedFigure[] = [];
  if (article.lead) {
    figures.push({ name: 'lead', figure: article.lead });
  }
  let n = 0;
  for (const block of article.body) {
    if (block.__component === 'media.figure') {
      n += 1;
      figures.push({ name: `figure-${n}`, figure: block });
    }
  }
  return figures;
}

/** The value when it has visible text, else undefined: an empty caption or standfirst is no caption. */
export function presentText(value: string | null | undefined): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** `http://host` from `http://host/` (PUBLIC_URL is documented without a trailing slash; be lenient). */
export function baseUrl(publicUrl: string): string {
  return publicUrl.replace(/\/+$/, '');
}

const ABSOLUTE_URL = /^[a-z][a-z0-9+.-]*:/i;
// Characters that may stand in a URI as they are (RFC 3986 reserved and unreserved, plus '%').
const NOT_URI_CHARACTER = /[^A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]/gu;

/** Percent-encodes what a URI cannot hold (spaces, non-ASCII), leaving existing escapes alone. */
function escapeUri(uri: string): string {
  return uri.replace(NOT_URI_CHARACTER, (character) => encodeURIComponent(character));
}

/**
 * An absolute URL for a media URL as Strapi stores it: `/uploads/x.jpg` becomes
 * `${publicUrl}/uploads/x.jpg`; a URL that is already absolute (an upload provider's CDN) is kept;
 * a protocol-relative one takes the public URL's scheme.
 */
export function absoluteUrl(publicUrl: string, url: string): string {
  const base = baseUrl(publicUrl);
  if (ABSOLUTE_URL.test(url)) {
    return escapeUri(url);
  }
  if (url.startsWith('//')) {
    const scheme = /^([a-z][a-z0-9+.-]*:)/i.exec(base)?.[1] ?? 'https:';
    return escapeUri(`${scheme}${url}`);
  }
  return escapeUri(`${base}${url.startsWith('/') ? '' : '/'}${url}`);
}

/** The article's public page: `${publicUrl}/news/${slug}`. */
export function articlePageUrl(article: ArticleView, publicUrl: string): string {
  // The reader page serves English by default; another locale says which.
  const locale = article.locale && article.locale !== 'en' ? `?locale=${encodeURIComponent(article.locale)}` : '';
  return `${baseUrl(publicUrl)}/news/${encodeURIComponent(article.slug)}${locale}`;
}

/** An ISO 8601 UTC timestamp for a date string, or undefined when it is missing or not a date. */
export function isoDateTime(value: string | null | undefined): string | undefined {
  if (typeof value !== 'string' || value === '') {
    return undefined;
  }
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

/** Drops the keys whose value is null or undefined (one level; nested objects are built compact). */
export function compact<T extends Record<string, unknown>>(record: T): Partial<T> {
  const out: Partial<T> = {};
  for (const key of Object.keys(record) as Array<keyof T>) {
    const value = record[key];
    if (value !== null && value !== undefined) {
      out[key] = value;
    }
  }
  return out;
}

/** A positive integer pixel size, or undefined. */
export function pixelSize(value: number | null | undefined): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}

/**
 * A figure's image in every size it has, smallest first: Strapi's responsive formats (thumbnail,
 * small, medium, large) and the original, each with a name. Formats without a width are left out.
 */
export function imageRenditions(figure: FigureView): Array<ImageFileView & { name: string; width: number }> {
  const image = figure.image;
  if (!image?.url) return [];
  const all = [...Object.entries(image.formats ?? {}), ['original', image] as const]
    .filter((entry): entry is [string, ImageFileView] => Boolean(entry[1]?.url) && pixelSize(entry[1]?.width) !== undefined)
    .map(([name, file]) => ({ ...file, name, width: file.width as number }));
  return all.sort((a, b) => a.width - b.width);
}

/** What a screen reader says for a figure's image: the editor's alt text, else the caption. */
export function altText(figure: FigureView): string {
  return presentText(figure.alt) ?? presentText(figure.caption) ?? '';
}
