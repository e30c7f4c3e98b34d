import { absoluteUrl, altText, articlePageUrl, bylineText, imageRenditions, pixelSize, presentText, publishedCorrections, type ArticleView, type FigureView } from './article-view';
import { toJsonLd } from './jsonld';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** JSON inside <script>: `<` escaped so no text can close the element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function figureHtml(figure: FigureView, publicUrl: string, lead: boolean): string {
  const caption = presentText(figure.caption);
  const credit = figure.credit?.name;
  const image = figure.image?.url ? imageHtml(figure, publicUrl, lead) : '';
  const creditHtml = credit
    ? ` <span class="credit">Credit: ${
        figure.credit?.url ? `<a href="${escapeHtml(figure.credit.url)}">${escapeHtml(credit)}</a>` : escapeHtml(credit)
      }</span>`
    : '';
  return `<figure${lead ? ' class="lead"' : ''}>${image}<figcaption>${escapeHtml(caption ?? '')}${creditHtml}</figcaption></figure>`;
}

// The page's column is 42rem (672px at 16px) wide at most: a phone gets a picture its width.
const COLUMN_SIZES = '(max-width: 44rem) 100vw, 42rem';

/**
 * A figure's image: every rendition in `srcset` so a browser takes the size it needs, its
 * dimensions (no layout shift), lazy loading below the fold (the lead loads at once), and always an
 * alt text (the caption when no alt text was written).
 */
function imageHtml(figure: FigureView, publicUrl: string, lead: boolean): string {
  const image = figure.image as NonNullable<FigureView['image']>;
  const renditions = imageRenditions(figure);
  const width = pixelSize(image.width);
  const height = pixelSize(image.height);
  const attributes = [
    `src="${escapeHtml(absoluteUrl(publicUrl, image.url))}"`,
    renditions.length > 1 ? `srcset="${escapeHtml(renditions.map((r) => `${absoluteUrl(publicUrl, r.url)} ${r.width}w`).join(', '))}"` : '',
    renditions.length > 1 ? `sizes="${COLUMN_SIZES}"` : '',
    width && height ? `width="${width}" height="${height}"` : '',
    lead ? 'fetchpriority="high"' : 'loading="lazy" decoding="async"',
    `alt="${escapeHtml(altText(figure))}"`,
  ].filter((attribute) => attribute !== '');
  return `<img ${attributes.join(' ')}>`;
}

/**
 * The reader page: semantic, accessible HTML (article, figure/figcaption with the credit line),
 * the schema.org JSON-LD in the head. No client-side framework.
 */
export function renderArticlePage(article: ArticleView, publicUrl: string, options: { preview: boolean }): string {
  const lang = escapeHtml(article.locale);
  const dateline = presentText(article.dateline);
  let first = true;
  const body = article.body
    .map((block) => {
      if (block.__component !== 'content.paragraph') return figureHtml(block, publicUrl, false);
      // The dateline opens the first paragraph, as printed: "HARBIN, China — Russian President…".
      const opening = first && dateline ? `<span class="dateline">${escapeHtml(dateline)}</span> — ` : '';
      first = false;
      return `<p>${opening}${escapeHtml(block.text)}</p>`;
    })
    .join('\n');
  const byline = bylineText(article);
  const corrections = publishedCorrections(article);
  const correctionsHtml =
    corrections.length > 0
      ? `<aside class="corrections" aria-label="Corrections">${corrections
          .map(
            (c) =>
              `<p class="${c.kind}"><strong>${c.kind === 'clarification' ? 'Clarification' : 'Correction'}</strong> <time datetime="${escapeHtml(c.date)}">${escapeHtml(
                new Date(c.date).toUTCString()
              )}</time>: ${escapeHtml(c.text)}</p>`
          )
          .join('')}</aside>`
      : '';
  const published = article.firstPublishDate ?? article.publishedAt;
  const standfirst = presentText(article.standfirst);
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(article.headline)}</title>
${standfirst ? `<meta name="description" content="${escapeHtml(standfirst)}">` : ''}
<link rel="canonical" href="${escapeHtml(articlePageUrl(article, publicUrl))}">
${options.preview ? '<meta name="robots" content="noindex">' : ''}
<script type="application/ld+json">${scriptJson(toJsonLd(article, publicUrl))}</script>
<style>body{font:18px/1.6 Georgia,serif;max-width:42rem;margin:2rem auto;padding:0 1rem;color:#222}h1{font-size:2rem;line-height:1.2}figure{margin:1.5rem 0}figure img{max-width:100%;height:auto;display:block}figcaption{font-size:.9rem;color:#555}.credit{color:#777}.preview{background:#fff3cd;padding:.5rem 1rem;border:1px solid #e0c36a}.corrections{border-left:4px solid #b00;padding-left:1rem;font-size:.95rem}.dateline{font-weight:bold}.byline{color:#555}</style>
</head>
<body>
${options.preview ? '<p class="preview" role="status">Preview: this is the draft, not what readers see yet.</p>' : ''}
<main>
<article>
<header>
${correctionsHtml}
<h1>${escapeHtml(article.headline)}</h1>
${standfirst ? `<p class="standfirst">${escapeHtml(standfirst)}</p>` : ''}
${byline ? `<p class="byline">${escapeHtml(byline)}</p>` : ''}
${published ? `<p><time datetime="${escapeHtml(published)}">${escapeHtml(new Date(published).toUTCString())}</time></p>` : ''}
${article.lead ? figureHtml(article.lead, publicUrl, true) : ''}
</header>
${body}
</article>
</main>
</body>
</html>
`;
}
