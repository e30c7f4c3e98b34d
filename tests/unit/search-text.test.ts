import { cjkBigrams, cjkHighlights, highlightHtml, MARK_START, MARK_STOP, FRAGMENT_SEPARATOR, searchHit, searchTexts, websearchText } from '../../src/search/text';
import type { ArticleView } from '../../src/representations/article-view';

const article: ArticleView = {
  documentId: 'd1',
  locale: 'en',
  headline: 'Wind farm opens',
  slug: 'wind-farm-opens',
  standfirst: 'Forty turbines',
  byline: null,
  authors: [{ documentId: 'a1', name: 'Jan Kowalski', slug: 'jan-kowalski' }],
  section: { documentId: 's1', name: 'Business', slug: 'business' },
  tags: [{ documentId: 't1', name: 'Energy', slug: 'energy' }],
  firstPublishDate: '2026-01-02T03:04:05.000Z',
  updatedAt: '2026-01-02T03:04:05.000Z',
  createdAt: '2026-01-02T03:04:05.000Z',
  lead: { caption: 'The farm at dusk', credit: { documentId: 'c1', name: 'AP' }, image: { url: '/uploads/farm.jpg', width: 2000, height: 1000, formats: { thumbnail: { url: '/uploads/thumbnail_farm.jpg', width: 245, height: 122 } } } },
  body: [
    { __component: 'content.paragraph', text: 'The farm opened\u0000 on Monday.' },
    { __component: 'media.figure', caption: 'A turbine blade', credit: { documentId: 'c2', name: 'Reuters' }, photographer: 'Ann Lee' },
  ],
};

test('texts by weight: headline A; standfirst and tags B; body C; byline, captions and credits D; controls dropped', () => {
  const texts = searchTexts(article);
  expect(texts.a).toBe('Wind farm opens');
  expect(texts.b).toBe('Forty turbines\nEnergy');
  expect(texts.c).toBe('The farm opened  on Monday.');
  expect(texts.d).toBe('By Jan Kowalski\nThe farm at dusk\nAP\nA turbine blade\nReuters\nAnn Lee');
  expect(texts.all.startsWith('Wind farm opens\nForty turbines\nEnergy\nBy Jan Kowalski\nThe farm opened')).toBe(true);
});

test('a hit: its fields, the lead thumbnail, the caption as alt when there is none', () => {
  expect(searchHit(article)).toEqual({
    documentId: 'd1',
    slug: 'wind-farm-opens',
    locale: 'en',
    headline: 'Wind farm opens',
    standfirst: 'Forty turbines',
    firstPublishDate: '2026-01-02T03:04:05.000Z',
    section: { name: 'Business', slug: 'business' },
    authors: [{ name: 'Jan Kowalski', slug: 'jan-kowalski' }],
    thumbnail: { url: '/uploads/thumbnail_farm.jpg', width: 245, height: 122, alt: 'The farm at dusk' },
  });
});

test('CJK runs become overlapping bigrams; other text stays', () => {
  expect(cjkBigrams('气候变化 COP28 会').replace(/\s+/g, ' ').trim()).toBe('气候 候变 变化 COP28 会');
  expect(cjkBigrams('東京タワー').replace(/\s+/g, ' ').trim()).toBe('東京 京タ タワ ワー');
});

test('a query: CJK runs as phrases of bigrams, the prefix word taken out when it is a plain last word', () => {
  expect(websearchText('气候变化 -排放', false).text.replace(/\s+/g, ' ').trim()).toBe('"气候 候变 变化" -"排放"');
  expect(websearchText('气 会议', false)).toEqual({ text: expect.stringMatching(/^\s*"会议"\s*$/), prefixWords: ['气'] });
  expect(websearchText('"全球气候"', false).text.replace(/\s+/g, ' ').trim()).toBe('" 全球 球气 气候 "');
  expect(websearchText('wind tur', true)).toEqual({ text: 'wind', prefixWords: ['tur'] });
  expect(websearchText('"wind tur"', true).prefixWords).toEqual([]);
  expect(websearchText('wind -tur', true).prefixWords).toEqual([]);
  expect(websearchText("tur'; --", true).prefixWords).toEqual([]);
});

test('highlights: matches in <mark>, everything else escaped, fragments split', () => {
  const raw = `a <b> & ${MARK_START}wind${MARK_STOP} "x"${FRAGMENT_SEPARATOR} second ${MARK_START}<wind>${MARK_STOP} end`;
  expect(highlightHtml(raw)).toEqual(['a &lt;b&gt; &amp; <mark>wind</mark> &quot;x&quot;', 'second <mark>&lt;wind&gt;</mark> end']);
});

test('CJK highlights mark the query terms in the original text, escaped', () => {
  const text = '各国代表在会议上讨论减少排放的<具体>措施。';
  expect(cjkHighlights(text, '排放 -会议')).toEqual(['各国代表在会议上讨论减少<mark>排放</mark>的&lt;具体&gt;措施。']);
  expect(cjkHighlights(text, '不在')).toEqual([]);
});
