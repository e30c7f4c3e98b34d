import {
  absoluteUrl,
  articlePageUrl,
  baseUrl,
  compact,
  figuresInOrder,
  isoDateTime,
  paragraphTexts,
  pixelSize,
  presentText,
  type ArticleView,
  type BodyBlockView,
  type CreditView,
  type FigureView,
  altText,
  bylineText,
  imageRenditions,
} from './article-view';
import type { NinjsArticle } from './schemas';

/** The IPTC schema the output is valid against (tests/fixtures/ninjs/ninjs-schema_3.1.json). */
export const NINJS_SCHEMA_URI = 'http://www.iptc.org/std/ninjs/ninjs-schema_3.1.json#';

/**
 * An article as an IPTC ninjs 3.1 news item (https://iptc.org/standards/ninjs/): headline, standfirst,
 * body as plain text and as HTML, and one `picture` association per figure (lead first) carrying its
 * caption, credit line and the image as a rendition; `by` (the byline), `located` (the dateline) and
 * `subjects` (section and tags, a tag's IPTC Media Topic as its URI) when the article has them:
 * nothing is made up. Every key the 3.1 schema would reject (it closes objects with
 * additionalProperties/unevaluatedProperties false) is kept out.
 */
export function toNinjs(article: ArticleView, publicUrl: string): NinjsArticle {
  const uri = ninjsUri(article, publicUrl);
  const paragraphs = paragraphTexts(article);
  const standfirst = presentText(article.standfirst);
  const subjects = [
    ...(article.section ? [{ name: article.section.name, rel: 'section', literal: article.section.slug }] : []),
    ...(article.tags ?? []).map((tag) => compact({ name: tag.name, rel: 'tag', literal: tag.slug, uri: presentText(tag.mediaTopic) })),
  ];
  const associations = figuresInOrder(article).map(({ name, figure }) =>
    pictureAssociation(name, figure, `${uri}#${name}`, article.locale, publicUrl),
  );

  return compact({
    uri,
    standard: { name: 'ninjs', version: '3.1', schema: NINJS_SCHEMA_URI },
    type: 'text',
    representationType: 'full',
    version: versionOf(article.updatedAt),
    firstCreated: isoDateTime(article.createdAt),
    versionCreated: isoDateTime(article.updatedAt),
    pubStatus: 'usable',
    language: article.locale,
    slugline: article.slug,
    by: bylineText(article),
    located: presentText(article.dateline),
    subjects: subjects.length > 0 ? subjects : undefined,
    headlines: [{ role: 'main', contentType: 'text/plain', value: article.headline }],
    descriptions: standfirst ? [{ role: 'summary', contentType: 'text/plain', value: standfirst }] : undefined,
    bodies: [
      { role: 'main', contentType: 'text/plain', value: paragraphs.join('\n\n') },
      { role: 'richtext', contentType: 'text/html', value: bodyHtml(article.body, publicUrl) },
    ],
    renditions: [{ name: 'web', href: articlePageUrl(article, publicUrl), contentType: 'text/html' }],
    altIds: [{ role: 'documentId', value: article.documentId }],
    associations: associations.length > 0 ? associations : undefined,
  }) as NinjsArticle;
}

/**
 * The item's identifier: one per document and locale (each language version is its own news item),
 * stable across edits (the version says which edit).
 */
export function ninjsUri(article: ArticleView, publicUrl: string): string {
  return (
    `${baseUrl(publicUrl)}/api/articles/${encodeURIComponent(article.documentId)}/ninjs` +
    `?locale=${encodeURIComponent(article.locale)}`
  );
}

/** Every save moves updatedAt, so its epoch milliseconds order the versions; the raw value if it is no date. */
function versionOf(updatedAt: string): string {
  const time = Date.parse(updatedAt);
  return Number.isNaN(time) ? updatedAt : String(time);
}

function pictureAssociation(
  name: string,
  figure: FigureView,
  uri: string,
  locale: string,
  publicUrl: string,
): Record<string, unknown> {
  const caption = presentText(figure.caption);
  const alt = presentText(figure.alt);
  const credit = figure.credit ?? undefined;
  const creditLine = presentText(credit?.name);
  const descriptions = [
    caption ? { role: 'caption', contentType: 'text/plain', value: caption } : undefined,
    alt ? { role: 'alt', contentType: 'text/plain', value: alt } : undefined,
    creditLine ? { role: 'creditline', contentType: 'text/plain', value: creditLine } : undefined,
  ].filter((description) => description !== undefined);
  const image = figure.image ?? undefined;

  return compact({
    name,
    uri,
    type: 'picture',
    language: locale,
    descriptions: descriptions.length > 0 ? descriptions : undefined,
    by: presentText(figure.photographer),
    copyrightHolder: credit ? presentText(credit.fullName) ?? creditLine : undefined,
    copyrightNotice: presentText(figure.copyright),
    infoSources: credit && creditLine ? [infoSource(credit, creditLine)] : undefined,
    renditions: image
      ? (imageRenditions(figure).length > 0 ? imageRenditions(figure) : [{ ...image, name: 'original' }]).map((rendition) =>
          compact({
            name: rendition.name,
            href: absoluteUrl(publicUrl, rendition.url),
            contentType: presentText(rendition.mime),
            width: pixelSize(rendition.width),
            height: pixelSize(rendition.height),
          })
        )
      : undefined,
  });
}

/** The credit as the party that supplied the picture; its web address as contact information. */
function infoSource(credit: CreditView, creditLine: string): Record<string, unknown> {
  const url = presentText(credit.url);
  return compact({
    name: presentText(credit.fullName) ?? creditLine,
    literal: creditLine,
    contactInfo: url ? [{ type: 'web', value: url }] : undefined,
  });
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character] ?? character);
}

/** Paragraphs as `<p>`, figures at their place as `<figure>` with the image (if any) and caption with credit. */
function bodyHtml(body: BodyBlockView[], publicUrl: string): string {
  return body
    .map((block) => {
      if (block.__component === 'content.paragraph') {
        return `<p>${escapeHtml(block.text)}</p>`;
      }
      return figureHtml(block, publicUrl);
    })
    .join('\n');
}

function figureHtml(figure: FigureView, publicUrl: string): string {
  const parts: string[] = [];
  if (figure.image) {
    parts.push(`<img src="${escapeHtml(absoluteUrl(publicUrl, figure.image.url))}" alt="${escapeHtml(altText(figure))}">`);
  }
  const caption = presentText(figure.caption);
  const credit = presentText(figure.credit?.name);
  const captionParts = [
    caption ? escapeHtml(caption) : undefined,
    // No "Credit:" label: the article may be in any locale, and the class says what it is.
    credit ? `<small class="credit">${escapeHtml(credit)}</small>` : undefined,
  ].filter((part) => part !== undefined);
  if (captionParts.length > 0) {
    parts.push(`<figcaption>${captionParts.join(' ')}</figcaption>`);
  }
  return `<figure>${parts.join('')}</figure>`;
}
