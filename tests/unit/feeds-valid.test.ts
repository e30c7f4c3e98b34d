import { XMLParser } from 'fast-xml-parser';
import type { ArticleView } from '../../src/representations/article-view';
import { articleFeed, correctionsFeed, type FeedChannel } from '../../src/syndication/feeds';
import { newsSitemap, sitemapIndex, urlset } from '../../src/syndication/sitemaps';
import { atomProblems, rssProblems, sitemapProblems } from '../helpers/feed-validation';

const PUBLIC = 'https://news.example.org';
const channel = (path: string, locale = 'en'): FeedChannel => ({ title: 'The Test Gazette', description: 'News & more <today>', self: `${PUBLIC}${path}`, locale, publicUrl: PUBLIC });

const base = (n: number, extra: Partial<ArticleView>): ArticleView => ({
  documentId: `doc${n}`,
  locale: 'en',
  headline: `Headline ${n} & "quotes" <b>`,
  slug: `headline-${n}`,
  updatedAt: `2026-11-0${n}T10:00:00.000Z`,
  createdAt: `2026-11-0${n}T09:00:00.000Z`,
  publishedAt: `2026-11-0${n}T10:00:00.000Z`,
  firstPublishDate: `2026-11-0${n}T10:00:00.000Z`,
  body: [{ __component: 'content.paragraph', text: `Paragraph of story ${n}.` }],
  ...extra,
});

// Every shape an item takes: authors' records, only a byline, neither; photos with and without
// files, a section and tags, corrections, another script.
const articles: ArticleView[] = [
  base(1, {
    authors: [
      { documentId: 'a1', name: 'Dake Kang', slug: 'dake-kang' },
      { documentId: 'a2', name: 'Emily Wang Fujiyama', slug: 'emily-wang-fujiyama' },
    ],
    byline: 'By Dake Kang and Emily Wang Fujiyama, Associated Press',
    section: { documentId: 's1', name: 'World', slug: 'world' },
    tags: [{ documentId: 't1', name: 'Diplomacy', slug: 'diplomacy', mediaTopic: 'http://cv.iptc.org/newscodes/mediatopic/20000638' }],
    lead: { caption: 'Putin at the fair.', credit: { documentId: 'c1', name: 'AP' }, image: { url: '/uploads/fair.jpg', mime: 'image/jpeg', width: 1200, height: 800 } },
    corrections: [{ kind: 'correction', text: 'An earlier version misspelled Harbin.', date: '2026-11-02T08:00:00.000Z' }],
  }),
  base(2, { byline: 'By EMILY WANG', standfirst: 'A standfirst.' }),
  base(3, { lead: { caption: 'No file yet.', credit: { documentId: 'c2', name: 'Reuters' } } }),
  base(4, { locale: 'zh-Hans', headline: '普京抵达哈尔滨', byline: '记者 王芳', corrections: [{ kind: 'clarification', text: '澄清。', date: '2026-11-05T08:00:00.000Z' }] }),
];
const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@' });

describe('feeds a validator accepts', () => {
  it('RSS 2.0: names in dc:creator (no "By"), no <author> without an e-mail address', () => {
    const rss = articleFeed(articles, channel('/rss.xml'), 'rss');
    expect(rssProblems(rss)).toEqual([]);
    const items = xml.parse(rss).rss.channel.item;
    expect(items[0].author).toBeUndefined();
    expect(items[0]['dc:creator'].map((c: { '#text': string }) => c['#text'])).toEqual(['Dake Kang', 'Emily Wang Fujiyama']);
    expect(items[1]['dc:creator']['#text']).toBe('EMILY WANG');
    expect(items[2]['dc:creator']).toBeUndefined();
    expect(items[3]['dc:creator']['#text']).toBe('记者 王芳');
  });

  it('Atom 1.0: RFC 4287 schema and rules; entry authors by name, the publication for the rest', async () => {
    const atom = articleFeed(articles, channel('/atom.xml'), 'atom');
    expect(await atomProblems(atom)).toEqual([]);
    const feed = xml.parse(atom).feed;
    expect(feed.author.name).toBe('The Test Gazette');
    expect(feed.entry[0].author.map((a: { name: string }) => a.name)).toEqual(['Dake Kang', 'Emily Wang Fujiyama']);
    expect(feed.entry[1].author.name).toBe('EMILY WANG');
  });

  it('an empty feed, a section feed in another locale and the corrections feed are valid too', async () => {
    expect(rssProblems(articleFeed([], channel('/rss.xml'), 'rss'))).toEqual([]);
    expect(await atomProblems(articleFeed([], channel('/atom.xml'), 'atom'))).toEqual([]);
    expect(rssProblems(articleFeed([articles[3]], channel('/sections/world/rss.xml', 'zh-Hans'), 'rss'))).toEqual([]);
    expect(rssProblems(correctionsFeed(articles, channel('/corrections.rss')))).toEqual([]);
  });

  it('the checks catch what validators refuse', async () => {
    const rss = articleFeed(articles.slice(0, 1), channel('/rss.xml'), 'rss');
    expect(rssProblems(rss.replace(/<dc:creator[^>]*>Dake Kang</, '<author>Dake Kang</author><dc:creator xmlns:dc="http://purl.org/dc/elements/1.1/">By Dake Kang<'))).toEqual(
      expect.arrayContaining([expect.stringMatching(/author: must be an e-mail address/), expect.stringMatching(/both <author> and <dc:creator>/), expect.stringMatching(/a name, not a byline/)])
    );
    expect(rssProblems(rss.replace(/<pubDate>[^<]+</, '<pubDate>2026-11-01T10:00:00Z<'))).toEqual([expect.stringMatching(/RFC 822/)]);
    expect(rssProblems(rss.replace(' xmlns:dc="http://purl.org/dc/elements/1.1/"', ''))).toEqual(expect.arrayContaining([expect.stringMatching(/prefix "dc" is not declared/)]));
    expect(rssProblems(rss.replace('<item>', '<item><byline>x</byline>'))).toEqual([expect.stringMatching(/undefined element <byline>/)]);
    const atom = articleFeed(articles.slice(2, 3), channel('/atom.xml'), 'atom');
    expect(await atomProblems(atom.replace(/<author>[\s\S]*?<\/author>/, ''))).toEqual([expect.stringMatching(/must have an atom:author/)]);
    expect((await atomProblems(atom.replace(/<updated>[^<]+</, '<updated>yesterday<'))).length).toBeGreaterThan(0);
  });
});

describe('sitemaps a validator accepts', () => {
  it('a urlset and a sitemap index: sitemaps.org schemas', async () => {
    const set = await urlset(articles.map((a) => ({ url: `${PUBLIC}/news/${a.slug}`, lastmod: a.updatedAt })));
    expect(await sitemapProblems(set, 'urlset')).toEqual([]);
    const index = await sitemapIndex([{ url: `${PUBLIC}/sitemaps/1.xml` }, { url: `${PUBLIC}/sitemaps/2.xml`, lastmod: '2026-11-01T10:00:00.000Z' }]);
    expect(await sitemapProblems(index, 'sitemapindex')).toEqual([]);
    expect((await sitemapProblems(set.replace('<loc>', '<loc>x<'), 'urlset')).length).toBeGreaterThan(0);
  });

  it('a Google News sitemap: its schema, with Chinese as zh-cn', async () => {
    const news = await newsSitemap(
      articles.map((a) => ({ url: `${PUBLIC}/news/${a.slug}`, title: a.headline, language: a.locale, firstPublished: a.firstPublishDate ?? a.updatedAt })),
      'The Test Gazette'
    );
    expect(await sitemapProblems(news, 'news')).toEqual([]);
    expect(news).toContain('<news:language>zh-cn</news:language>');
    expect(await sitemapProblems(news.replace('<news:language>en<', '<news:language>en-GB<'), 'news')).toHaveLength(1); // a region is not taken
    expect((await sitemapProblems(news.replace(/<news:title>[^<]*<\/news:title>/, ''), 'news')).length).toBeGreaterThan(0);
  });
});
