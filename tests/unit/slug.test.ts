import { SLUG_MAX_LENGTH, slugify, withClashSuffix } from '../../src/story';

const HASH = '2783d38fba8e78240000000000000000000000000000000000000000000000ff';

describe('slugify', () => {
  it('makes the bundled story’s slug', () => {
    expect(slugify("Putin visits China's 'Little Moscow' as allies continue to discuss trade", HASH)).toBe(
      'putin-visits-chinas-little-moscow-as-allies-continue-to-discuss-trade',
    );
  });

  it('drops straight and curly apostrophes', () => {
    expect(slugify('China’s leader', HASH)).toBe('chinas-leader');
    expect(slugify("rock 'n' roll", HASH)).toBe('rock-n-roll');
  });

  it('folds accents', () => {
    expect(slugify('Gdańsk', HASH)).toBe('gdansk');
    expect(slugify('Café in São Paulo, Zürich and Kraków', HASH)).toBe('cafe-in-sao-paulo-zurich-and-krakow');
    expect(slugify('Cafe\u0301', HASH)).toBe('cafe');
  });

  it('folds letters that NFKD leaves whole', () => {
    expect(slugify('Łódź', HASH)).toBe('lodz');
    expect(slugify('Søren Ørsted', HASH)).toBe('soren-orsted');
    expect(slugify('Đorđe', HASH)).toBe('dorde');
    expect(slugify('Straße', HASH)).toBe('strasse');
    expect(slugify('Æsir Œuvre', HASH)).toBe('aesir-oeuvre');
    expect(slugify('Þór Ðáin', HASH)).toBe('thor-dain');
    expect(slugify('Kızılay İstanbul', HASH)).toBe('kizilay-istanbul');
  });

  it('turns every other run of characters into one hyphen and trims the ends', () => {
    expect(slugify('  “Hello, world!” — 2024: yes…  ', HASH)).toBe('hello-world-2024-yes');
    expect(slugify('--Already--hyphenated--', HASH)).toBe('already-hyphenated');
  });

  it('keeps at most 80 characters, cut at a word end', () => {
    const headline = Array.from({ length: 10 }, () => 'abcdefghi').join(' ');
    const slug = slugify(headline, HASH);
    expect(slug).toBe(Array.from({ length: 8 }, () => 'abcdefghi').join('-'));
    expect(slug.length).toBe(79);
  });

  it('keeps exactly 80 characters when a word ends there', () => {
    const headline = `${'a'.repeat(39)} ${'b'.repeat(40)} c`;
    expect(slugify(headline, HASH)).toBe(`${'a'.repeat(39)}-${'b'.repeat(40)}`);
  });

  it('does not cut a word that ends just after 80 characters', () => {
    const headline = `${'a'.repeat(39)} ${'b'.repeat(41)}`;
    expect(slugify(headline, HASH)).toBe('a'.repeat(39));
  });

  it('hard-cuts a single word longer than 80 characters', () => {
    expect(slugify('x'.repeat(100), HASH)).toBe('x'.repeat(SLUG_MAX_LENGTH));
    expect(slugify(`${'y'.repeat(90)} more`, HASH)).toBe('y'.repeat(SLUG_MAX_LENGTH));
  });

  it('falls back to story- and the hash for a headline with nothing to keep', () => {
    expect(slugify('北京举行新闻发布会', HASH)).toBe('story-2783d38f');
    expect(slugify('😀😀', HASH)).toBe('story-2783d38f');
    expect(slugify('北京 2024', HASH)).toBe('2024');
  });

  it('refuses a content hash that is not hex', () => {
    expect(() => slugify('Anything', 'not-a-hash')).toThrow(TypeError);
  });
});

describe('withClashSuffix', () => {
  it('leaves the first claimant alone', () => {
    expect(withClashSuffix('bridge-reopens', 1)).toBe('bridge-reopens');
    expect(withClashSuffix('bridge-reopens', 0)).toBe('bridge-reopens');
  });

  it('numbers later claimants', () => {
    expect(withClashSuffix('bridge-reopens', 2)).toBe('bridge-reopens-2');
    expect(withClashSuffix('bridge-reopens', 13)).toBe('bridge-reopens-13');
  });

  it('trims the base so the whole stays within 80 characters', () => {
    const base = 'z'.repeat(80);
    expect(withClashSuffix(base, 2)).toBe(`${'z'.repeat(78)}-2`);
    expect(withClashSuffix(base, 100)).toHaveLength(80);
  });

  it('does not leave a double hyphen where the base is trimmed', () => {
    const base = `${'a'.repeat(76)}-bcd`;
    expect(base).toHaveLength(80);
    expect(withClashSuffix(base, 12)).toBe(`${'a'.repeat(76)}-12`);
  });
});
