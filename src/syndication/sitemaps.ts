import { Readable } from 'node:stream';
import { SitemapIndexStream, SitemapStream, streamToPromise, type SitemapItemLoose } from 'sitemap';

/**
 * Sitemaps for search engines, made with `sitemap` (ekalinin/sitemap.js): every published article
 * with its lastmod, as one urlset up to 50,000 URLs (the protocol's limit) and a sitemap index past
 * that; and a Google News sitemap of what was first published in the last 48 hours (at most 1,000).
 */
export const SITEMAP_LIMIT = 50_000;
export const NEWS_WINDOW_MS = 48 * 3600 * 1000;
export const NEWS_LIMIT = 1000;

/** How many parts a sitemap of `total` URLs has: 0 for one urlset, else the index's parts. */
export function sitemapParts(total: number): number {
  return total <= SITEMAP_LIMIT ? 0 : Math.ceil(total / SITEMAP_LIMIT);
}

export interface SitemapEntry {
  url: string;
  lastmod: string;
}

export interface NewsEntry {
  url: string;
  title: string;
  language: string;
  firstPublished: string;
}

async function render(stream: SitemapStream | SitemapIndexStream, items: object[]): Promise<string> {
  const done = streamToPromise(Readable.from(items).pipe(stream));
  return (await done).toString('utf8');
}

export function urlset(entries: SitemapEntry[]): Promise<string> {
  return render(new SitemapStream({ xmlns: { news: false, video: false, xhtml: false, image: false } }), entries.map((e) => ({ url: e.url, lastmod: e.lastmod })));
}

export function sitemapIndex(parts: Array<{ url: string; lastmod?: string }>): Promise<string> {
  return render(new SitemapIndexStream(), parts);
}

/**
 * The language Google News takes for a locale code: ISO 639 (`en`, `ru`), except Chinese, which is
 * `zh-cn` in simplified script and `zh-tw` in traditional (`zh-Hans` → `zh-cn`, `zh-Hant-HK` → `zh-tw`).
 */
export function newsLanguage(locale: string): string {
  const [language, ...rest] = locale.toLowerCase().split('-');
  if (language !== 'zh') return language;
  return rest.some((part) => ['hant', 'tw', 'hk', 'mo'].includes(part)) ? 'zh-tw' : 'zh-cn';
}

export function newsSitemap(entries: NewsEntry[], publication: string): Promise<string> {
  const items: SitemapItemLoose[] = entries.map((e) => ({
    url: e.url,
    news: { publication: { name: publication, language: newsLanguage(e.language) }, publication_date: e.firstPublished, title: e.title },
  }));
  return render(new SitemapStream({ xmlns: { news: true, video: false, xhtml: false, image: false } }), items);
}
