import { Feed, type Item } from 'feed';
import {
  absoluteUrl,
  articlePageUrl,
  baseUrl,
  creatorNames,
  figuresInOrder,
  paragraphTexts,
  presentText,
  publishedCorrections,
  type ArticleView,
} from '../representations/article-view';

/**
 * RSS 2.0 and Atom 1.0, made with `feed` (jpmonette/feed): what a reader app or an aggregator
 * subscribes to. Namespaces the library does not declare itself (Dublin Core's `dc:creator`, Media
 * RSS) are declared on the elements that use them, through its extension mechanism.
 */
const DC = 'http://purl.org/dc/elements/1.1/';
const MEDIA = 'http://search.yahoo.com/mrss/';

export interface FeedChannel {
  title: string;
  description: string;
  /** Where the channel lives (its feed URL, for `atom:link rel=self`). */
  self: string;
  locale: string;
  publicUrl: string;
}

/** A stable identifier per document and locale that survives slug changes (RFC 4151 tag URI). */
export function articleGuid(article: ArticleView, publicUrl: string): string {
  return `tag:${new URL(publicUrl).host},2026:article/${article.documentId}/${article.locale}`;
}

function firstPublished(article: ArticleView): Date {
  return new Date(article.firstPublishDate ?? article.publishedAt ?? article.updatedAt);
}

/** The standfirst, else the first paragraph. */
function summary(article: ArticleView): string | undefined {
  return presentText(article.standfirst) ?? paragraphTexts(article)[0];
}

function articleItem(article: ArticleView, publicUrl: string, format: 'rss' | 'atom'): Item {
  const creators = creatorNames(article);
  const extensions: Item['extensions'] = [];
  // RSS 2.0's <author> is an e-mail address: names go in Dublin Core's dc:creator, one each.
  if (format === 'rss' && creators.length > 0) {
    const objects = creators.map((name) => ({ _attributes: { 'xmlns:dc': DC }, _text: name }));
    extensions.push({ name: 'dc:creator', objects: (objects.length === 1 ? objects[0] : objects) as unknown as Record<string, unknown> });
  }
  const media = figuresInOrder(article)
    .filter(({ figure }) => figure.image?.url)
    .map(({ figure }) => ({
      _attributes: {
        'xmlns:media': MEDIA,
        url: absoluteUrl(publicUrl, figure.image?.url ?? ''),
        medium: 'image',
        ...(figure.image?.mime ? { type: figure.image.mime } : {}),
        ...(figure.image?.width ? { width: figure.image.width } : {}),
        ...(figure.image?.height ? { height: figure.image.height } : {}),
      },
      ...(presentText(figure.caption) ? { 'media:description': { _attributes: { type: 'plain' }, _text: figure.caption } } : {}),
      ...(figure.credit?.name ? { 'media:credit': { _text: figure.credit.name } } : {}),
    }));
  // xml-js (under `feed`) writes an array as repeated elements: one media:content per photo.
  if (media.length > 0) extensions.push({ name: 'media:content', objects: (media.length === 1 ? media[0] : media) as unknown as Record<string, unknown> });
  const categories = [
    ...(article.section ? [{ name: article.section.name, domain: `${baseUrl(publicUrl)}/sections/${article.section.slug}`, term: article.section.slug }] : []),
    ...(article.tags ?? []).map((tag) => ({ name: tag.name, term: tag.slug, ...(tag.mediaTopic ? { scheme: tag.mediaTopic } : {}) })),
  ];
  return {
    title: article.headline,
    id: articleGuid(article, publicUrl),
    guid: articleGuid(article, publicUrl),
    link: articlePageUrl(article, publicUrl),
    date: new Date(article.updatedAt),
    published: firstPublished(article),
    description: summary(article),
    author: format === 'atom' && creators.length > 0 ? creators.map((name) => ({ name })) : undefined,
    category: categories.length > 0 ? categories : undefined,
    extensions,
  };
}

function channel(info: FeedChannel, updated: Date): Feed {
  return new Feed({
    // Atom: the publication is the author of every entry that names none of its own (RFC 4287 4.1.1).
    author: { name: info.title },
    title: info.title,
    description: info.description,
    id: info.self,
    link: baseUrl(info.publicUrl),
    language: info.locale,
    updated,
    generator: false,
    copyright: '',
    feedLinks: { rss: info.self.replace(/atom\.xml$/, 'rss.xml'), atom: info.self.replace(/rss\.xml$/, 'atom.xml') },
  });
}

/** Articles newest first (as given), each an item; RSS 2.0 or Atom 1.0. */
export function articleFeed(articles: ArticleView[], info: FeedChannel, format: 'rss' | 'atom'): string {
  // The newest change among the items: the same feed is the same bytes (ETags, caches). An empty
  // feed never changed: the epoch, not the time it was asked.
  const updated = articles.reduce((latest, a) => Math.max(latest, new Date(a.updatedAt).getTime()), 0);
  const feed = channel(info, new Date(updated));
  for (const article of articles) feed.addItem(articleItem(article, info.publicUrl, format));
  return format === 'rss' ? feed.rss2() : feed.atom1();
}

/** One item per correction, newest first: what changed, on which story, when. */
export function correctionsFeed(articles: ArticleView[], info: FeedChannel): string {
  const items = articles.flatMap((article) =>
    publishedCorrections(article).map((correction) => ({ article, correction }))
  ).sort((a, b) => b.correction.date.localeCompare(a.correction.date));
  const feed = channel(info, new Date(items[0]?.correction.date ?? 0));
  for (const { article, correction } of items) {
    const label = correction.kind === 'clarification' ? 'Clarification' : 'Correction';
    feed.addItem({
      title: `${label}: ${article.headline}`,
      id: `${articleGuid(article, info.publicUrl)}/${correction.kind}/${correction.date}`,
      guid: `${articleGuid(article, info.publicUrl)}/${correction.kind}/${correction.date}`,
      link: articlePageUrl(article, info.publicUrl),
      date: new Date(correction.date),
      published: new Date(correction.date),
      description: correction.text,
    });
  }
  return feed.rss2();
}
