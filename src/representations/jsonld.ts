import {
  absoluteUrl,
  articlePageUrl,
  compact,
  figuresInOrder,
  isoDateTime,
  paragraphTexts,
  pixelSize,
  presentText,
  publishedCorrections,
  type ArticleView,
  type FigureView,
} from './article-view';
import type { JsonLdNewsArticle } from './schemas';

/**
 * schema.org `NewsArticle` for an article (https://schema.org/NewsArticle), for a page's
 * `<script type="application/ld+json">` or a JSON-LD response. Only what the article holds: no
 * author without a byline, nothing made up. Keys whose value would be null or undefined are left
 * out.
 */
export function toJsonLd(article: ArticleView, publicUrl: string): JsonLdNewsArticle {
  const url = articlePageUrl(article, publicUrl);
  const images = figuresInOrder(article).map(({ figure }) => imageObject(figure, publicUrl));
  const authors = (article.authors ?? []).map((author) =>
    compact({ '@type': 'Person', name: author.name, jobTitle: presentText(author.title), url: presentText(author.url) })
  );
  const tags = (article.tags ?? []).map((tag) => tag.name);
  const corrections = publishedCorrections(article).map((c) => ({ '@type': 'CorrectionComment', text: c.text, datePublished: isoDateTime(c.date) }));

  return compact({
    '@context': 'https://schema.org',
    '@type': 'NewsArticle',
    '@id': url,
    url,
    mainEntityOfPage: { '@type': 'WebPage', '@id': url },
    identifier: article.documentId,
    headline: article.headline,
    description: presentText(article.standfirst),
    datePublished: isoDateTime(article.firstPublishDate) ?? isoDateTime(article.publishedAt),
    dateModified: isoDateTime(article.updatedAt),
    inLanguage: article.locale,
    author: authors.length > 0 ? authors : undefined,
    dateline: presentText(article.dateline),
    articleSection: presentText(article.section?.name),
    keywords: tags.length > 0 ? tags.join(', ') : undefined,
    correction: corrections.length > 0 ? corrections : undefined,
    articleBody: paragraphTexts(article).join('\n\n'),
    image: images.length > 0 ? images : undefined,
  }) as JsonLdNewsArticle;
}

/** A figure as an `ImageObject`: caption and credit always, the file's URL only when it has one. */
function imageObject(figure: FigureView, publicUrl: string): Record<string, unknown> {
  const credit = figure.credit ?? undefined;
  const image = figure.image ?? undefined;
  const imageUrl = image ? absoluteUrl(publicUrl, image.url) : undefined;
  return compact({
    '@type': 'ImageObject',
    contentUrl: imageUrl,
    url: imageUrl,
    caption: presentText(figure.caption),
    creditText: presentText(credit?.name),
    creator: presentText(figure.photographer) ? { '@type': 'Person', name: figure.photographer } : undefined,
    copyrightNotice: presentText(figure.copyright) ?? presentText(credit?.fullName) ?? presentText(credit?.name),
    width: pixelSize(image?.width),
    height: pixelSize(image?.height),
    encodingFormat: presentText(image?.mime),
  });
}
