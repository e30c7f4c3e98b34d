import { z } from 'zod';
import { escapeHtml } from '../representations/html';
import { bylineText, figuresInOrder, paragraphTexts, presentText, type ArticleView } from '../representations/article-view';

/**
 * What search indexes of an article and how (pure functions: the projection and the importer
 * call them with the article's public JSON; the query side with the reader's text).
 *
 * - Each locale has its PostgreSQL text search configuration (made by ./schema.ts): English and
 *   Russian stemming (Snowball), accents folded by `unaccent` (`Gdansk` finds `Gdańsk`).
 * - Chinese and Japanese have no spaces between words: each run of Han or kana characters is
 *   indexed as its overlapping character bigrams (气候变化 → 气候 候变 变化), and a query's run
 *   becomes the phrase of its bigrams. Nothing beyond what every PostgreSQL has.
 */

/** The text search configuration of each locale (./schema.ts makes them). */
const CONFIGS: Record<string, string> = { en: 'news_en', ru: 'news_ru', 'zh-Hans': 'news_cjk' };

export function searchConfig(locale: string): string {
  return CONFIGS[locale] ?? 'news_simple';
}

/** Han, Hiragana, Katakana (and their iteration marks): scripts written without spaces. */
const CJK_RUN = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\u3005\u30FC]+/gu;

/** Each run of CJK characters as its overlapping bigrams, space separated (a single one stays). */
export function cjkBigrams(text: string): string {
  return text.replace(CJK_RUN, (run) => {
    const chars = [...run];
    if (chars.length < 2) return ` ${run} `;
    const pairs: string[] = [];
    for (let i = 0; i + 1 < chars.length; i += 1) pairs.push(chars[i] + chars[i + 1]);
    return ` ${pairs.join(' ')} `;
  });
}

/** Characters no index or query needs: NUL (PostgreSQL text cannot hold it) and other controls. */
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;

export function cleanText(text: string): string {
  return text.replace(CONTROLS, ' ');
}

/** The texts of an article by weight: A headline, B standfirst and tags, C body, D the rest. */
export interface SearchTexts {
  a: string;
  b: string;
  c: string;
  d: string;
  /** Everything searched, in reading order: what highlights are cut from. */
  all: string;
}

export function searchTexts(article: ArticleView): SearchTexts {
  const figures = figuresInOrder(article).map(({ figure }) => figure);
  const captions = figures.flatMap((figure) => [presentText(figure.caption), presentText(figure.credit?.name), presentText(figure.photographer)]).filter((t): t is string => t !== undefined);
  const tags = (article.tags ?? []).map((tag) => tag.name).filter(Boolean);
  const parts = {
    a: [article.headline],
    b: [presentText(article.standfirst), ...tags],
    c: paragraphTexts(article),
    d: [bylineText(article), ...captions],
  };
  const join = (texts: Array<string | undefined | null>) => cleanText(texts.filter((t): t is string => typeof t === 'string' && t.trim() !== '').join('\n'));
  const a = join(parts.a);
  const b = join(parts.b);
  const c = join(parts.c);
  const d = join(parts.d);
  // Reading order for highlights: headline, standfirst and tags, byline, body, captions.
  const all = [a, b, join([parts.d[0]]), c, join(captions)].filter(Boolean).join('\n');
  return { a, b, c, d, all };
}

/** What a hit shows besides its highlights: stored with the row, so a page of hits is one query. */
export const SearchHit = z
  .object({
    documentId: z.string(),
    slug: z.string(),
    locale: z.string(),
    headline: z.string(),
    standfirst: z.string().nullable(),
    firstPublishDate: z.string().nullable(),
    section: z.object({ name: z.string(), slug: z.string() }).strict().nullable(),
    authors: z.array(z.object({ name: z.string(), slug: z.string() }).strict()),
    thumbnail: z
      .object({ url: z.string(), width: z.number().int().nullable(), height: z.number().int().nullable(), alt: z.string().nullable() })
      .strict()
      .nullable(),
  })
  .strict();
export type SearchHit = z.infer<typeof SearchHit>;

export function searchHit(article: ArticleView): SearchHit {
  const lead = article.lead;
  const image = lead?.image;
  const small = image?.formats?.thumbnail ?? image?.formats?.small ?? image ?? null;
  return {
    documentId: article.documentId,
    slug: article.slug,
    locale: article.locale,
    headline: article.headline,
    standfirst: presentText(article.standfirst) ?? null,
    firstPublishDate: article.firstPublishDate ?? article.publishedAt ?? null,
    section: article.section ? { name: article.section.name, slug: article.section.slug } : null,
    authors: (article.authors ?? []).map((author) => ({ name: author.name, slug: author.slug })),
    thumbnail: small?.url ? { url: small.url, width: small.width ?? null, height: small.height ?? null, alt: presentText(lead?.alt) ?? presentText(lead?.caption) ?? null } : null,
  };
}

/**
 * A reader's query as websearch syntax for PostgreSQL (`websearch_to_tsquery`, which never fails
 * on syntax): controls dropped, CJK runs turned into the phrase of their bigrams. Words to match
 * as prefixes are taken out: with `prefix`, the last plain word (search as you type); always, a
 * lone CJK character (the index holds bigrams: 气 finds 气候).
 */
export function websearchText(query: string, prefix: boolean): { text: string; prefixWords: string[] } {
  let text = cleanText(query);
  const prefixWords: string[] = [];
  if (prefix) {
    const last = /(^|\s)([\p{L}\p{N}]+)\s*$/u.exec(text);
    // A word that closes a quoted phrase or follows `-` is not a plain word.
    const quotes = (text.slice(0, last?.index ?? 0).match(/"/g) ?? []).length;
    if (last && quotes % 2 === 0 && !CJK_ONLY.test(last[2])) {
      prefixWords.push(last[2]);
      text = text.slice(0, last.index);
    }
  }
  // CJK runs: a phrase of bigrams (inside a quoted phrase, just the bigrams: it is a phrase).
  let inQuotes = false;
  let out = '';
  for (const piece of text.split(/(")/)) {
    if (piece === '"') {
      inQuotes = !inQuotes;
      out += piece;
      continue;
    }
    out += piece.replace(CJK_RUN, (run, offset: number) => {
      // Right after `-` (an exclusion) the phrase must follow it directly.
      const lead = offset > 0 && piece[offset - 1] === '-' ? '' : ' ';
      const chars = [...run];
      if (chars.length < 2) {
        if (inQuotes || lead === '') return `${lead}${run} `;
        prefixWords.push(run);
        return ' ';
      }
      const bigrams = cjkBigrams(run).trim();
      return inQuotes ? ` ${bigrams} ` : `${lead}"${bigrams}" `;
    });
  }
  return { text: out, prefixWords };
}
const CJK_ONLY = /^[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]+$/u;

/** ts_headline's markers (control characters never indexed: cleanText drops them). */
export const MARK_START = '\u0002';
export const MARK_STOP = '\u0003';
export const FRAGMENT_SEPARATOR = '\u0001';

/** Fragments with markers as HTML: `<mark>` around each match, everything else escaped. */
export function highlightHtml(fragments: string): string[] {
  return fragments
    .split(FRAGMENT_SEPARATOR)
    .map((fragment) => fragment.trim())
    .filter((fragment) => fragment !== '')
    .map((fragment) =>
      fragment
        .split(MARK_START)
        .map((piece, i) => {
          if (i === 0) return escapeHtml(piece.replaceAll(MARK_STOP, ''));
          const stop = piece.indexOf(MARK_STOP);
          const marked = stop === -1 ? piece : piece.slice(0, stop);
          const rest = stop === -1 ? '' : piece.slice(stop + 1);
          return `<mark>${escapeHtml(marked)}</mark>${escapeHtml(rest.replaceAll(MARK_STOP, ''))}`;
        })
        .join('')
        .replace(/\s+/g, ' ')
    );
}

/**
 * Highlights for text indexed as bigrams (Chinese, Japanese), where ts_headline would show the
 * bigrams: the query's own terms (CJK runs, and words) marked in the original text, as up to
 * `max` fragments of about `width` characters around the first matches.
 */
export function cjkHighlights(text: string, query: string, max = 2, width = 60): string[] {
  const quoted = cleanText(query).replace(/(^|\s)-("[^"]*"|\S+)/g, ' '); // excluded terms are not shown
  const terms = [...new Set((quoted.match(/[\p{L}\p{N}]+/gu) ?? []).flatMap((word) => word.match(new RegExp(`${CJK_RUN.source}|[^\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}]+`, 'gu')) ?? []))]
    .filter((term) => term.toLowerCase() !== 'or')
    .sort((x, y) => y.length - x.length);
  if (terms.length === 0) return [];
  const pattern = new RegExp(terms.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'giu');
  const spans: Array<[number, number]> = [];
  for (const match of text.matchAll(pattern)) spans.push([match.index ?? 0, (match.index ?? 0) + match[0].length]);
  if (spans.length === 0) return [];
  const fragments: string[] = [];
  let covered = -1;
  for (const [start] of spans) {
    if (fragments.length >= max) break;
    if (start < covered) continue;
    const from = Math.max(0, start - Math.floor(width / 3));
    const to = Math.min(text.length, from + width);
    covered = to;
    let html = '';
    let at = from;
    for (const [s, e] of spans) {
      if (e <= from || s >= to || s < at) continue;
      html += escapeHtml(text.slice(at, s)) + `<mark>${escapeHtml(text.slice(s, Math.min(e, to)))}</mark>`;
      at = Math.min(e, to);
    }
    html += escapeHtml(text.slice(at, to));
    fragments.push(html.replace(/\s+/g, ' ').trim());
  }
  return fragments;
}
