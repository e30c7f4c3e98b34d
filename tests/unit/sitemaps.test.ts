import { XMLParser } from 'fast-xml-parser';
import { newsLanguage, sitemapIndex, sitemapParts, urlset } from '../../src/syndication/sitemaps';

const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@' });

describe('sitemaps', () => {
  it('one urlset up to 50,000 URLs; past that an index of 50,000-URL parts', () => {
    expect(sitemapParts(0)).toBe(0);
    expect(sitemapParts(50_000)).toBe(0);
    expect(sitemapParts(50_001)).toBe(2);
    expect(sitemapParts(120_000)).toBe(3);
  });

  it('renders a urlset with lastmod, and an index with its parts', async () => {
    const set = xml.parse(await urlset([{ url: 'http://news.test/news/a', lastmod: '2026-11-30T10:00:00.000Z' }]));
    expect(set.urlset['@xmlns']).toBe('http://www.sitemaps.org/schemas/sitemap/0.9');
    expect(set.urlset.url).toMatchObject({ loc: 'http://news.test/news/a', lastmod: '2026-11-30T10:00:00.000Z' });
    const index = xml.parse(await sitemapIndex([{ url: 'http://news.test/sitemaps/1.xml' }, { url: 'http://news.test/sitemaps/2.xml' }]));
    expect(index.sitemapindex.sitemap.map((s: { loc: string }) => s.loc)).toEqual(['http://news.test/sitemaps/1.xml', 'http://news.test/sitemaps/2.xml']);
  });

  it('Google News takes ISO 639 languages, and Chinese as zh-cn or zh-tw', () => {
    expect(newsLanguage('zh-Hans')).toBe('zh-cn');
    expect(newsLanguage('zh-Hant-TW')).toBe('zh-tw');
    expect(newsLanguage('zh-HK')).toBe('zh-tw');
    expect(newsLanguage('en')).toBe('en');
    expect(newsLanguage('en-GB')).toBe('en');
  });
});
