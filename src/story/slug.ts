/** The one slug rule for stories. */

export const SLUG_MAX_LENGTH = 80;

// Latin letters that NFKD leaves whole, folded by hand (after lowercasing).
const LETTER_FOLDS: Record<string, string> = {
  ł: 'l',
  ø: 'o',
  đ: 'd',
  ß: 'ss',
  æ: 'ae',
  œ: 'oe',
  þ: 'th',
  ð: 'd',
  ı: 'i',
};
const FOLDABLE_LETTER = new RegExp(`[${Object.keys(LETTER_FOLDS).join('')}]`, 'g');

/**
 * `Putin visits China's 'Little Moscow'` → `putin-visits-chinas-little-moscow`.
 * Lowercase, apostrophes dropped, accents folded, anything else outside [a-z0-9] becomes one hyphen,
 * at most 80 characters cut at a word boundary. A headline with no Latin letters or digits
 * (CJK, for example) gets `story-` and the first 8 hex digits of the content hash.
 */
export function slugify(headline: string, contentHash: string): string {
  const hashPrefix = contentHash.slice(0, 8).toLowerCase();
  if (!/^[0-9a-f]{8}$/.test(hashPrefix)) {
    throw new TypeError(`slugify needs a hex content hash, got "${contentHash}"`);
  }

  const slug = headline
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(FOLDABLE_LETTER, (letter) => LETTER_FOLDS[letter] ?? letter)
    .replace(/['\u2019]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');

  const cut = cutAtWordBoundary(slug, SLUG_MAX_LENGTH);
  return cut === '' ? `story-${hashPrefix}` : cut;
}

/**
 * The slug to try for the n-th story that wants `base`: `base`, `base-2`, `base-3`, …,
 * trimming the base so the whole stays within 80 characters.
 */
export function withClashSuffix(base: string, n: number): string {
  if (!Number.isInteger(n)) {
    throw new RangeError(`clash number must be an integer, got ${n}`);
  }
  if (n <= 1) {
    return base;
  }
  const suffix = `-${n}`;
  const trimmedBase = base.slice(0, SLUG_MAX_LENGTH - suffix.length).replace(/-+$/, '');
  return `${trimmedBase}${suffix}`;
}

/** Longest prefix of at most `max` characters that ends at a word end; a single longer word is hard-cut. */
function cutAtWordBoundary(slug: string, max: number): string {
  if (slug.length <= max) {
    return slug;
  }
  // A prefix of length k ends at a word end when slug[k] is a hyphen.
  const boundary = slug.lastIndexOf('-', max);
  const prefix = boundary > 0 ? slug.slice(0, boundary) : slug.slice(0, max);
  return prefix.replace(/-+$/, '');
}
