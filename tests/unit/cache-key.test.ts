import { cacheKey, normalizeUrl } from '../../src/cache/policy';

describe('cache keys', () => {
  it('one form per URL: parameters ordered by name, percent-encoding and + decoded', () => {
    expect(normalizeUrl('/api/articles?b=2&a=1')).toBe(normalizeUrl('/api/articles?a=1&b=2'));
    expect(normalizeUrl('/api/articles?filters%5Bslug%5D%5B%24eq%5D=x')).toBe(normalizeUrl('/api/articles?filters[slug][$eq]=x'));
    expect(normalizeUrl('/news/%61bc')).toBe(normalizeUrl('/news/abc'));
    expect(normalizeUrl('/api/articles?q=a+b')).toBe(normalizeUrl('/api/articles?q=a%20b'));
  });

  it('keeps the order of a repeated parameter (sort=a&sort=b is not sort=b&sort=a)', () => {
    expect(normalizeUrl('/api/articles?sort=a&sort=b')).not.toBe(normalizeUrl('/api/articles?sort=b&sort=a'));
  });

  it('an Origin CORS does not allow shares one key with every other such origin', () => {
    process.env.CORS_ORIGINS = 'https://front.example';
    const key = (origin?: string) => cacheKey('GET', '/api/articles', origin);
    expect(key('https://front.example')).not.toBe(key('https://evil-1.example'));
    expect(key('https://evil-1.example')).toBe(key('https://evil-2.example'));
    expect(key(undefined)).not.toBe(key('https://evil-1.example'));
  });
});
