import { absoluteUrl, articlePageUrl, presentText, type ArticleView, type FigureView } from './article-view';
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
  const image = figure.image?.url
    ? `<img src="${escapeHtml(absoluteUrl(publicUrl, figure.image.url))}" alt="${escapeHtml(figure.alt ?? caption ?? '')}">`
    : '';
  const creditHtml = credit
    ? ` <span class="credit">Credit: ${
        figure.credit?.url ? `<a href="${escapeHtml(figure.credit.url)}">${escapeHtml(credit)}</a>` : escapeHtml(credit)
      }</span>`
    : '';
  return `<figure${lead ? ' class="lead"' : ''}>${image}<figcaption>${escapeHtml(caption ?? '')}${creditHtml}</figcaption></figure>`;
}

/**
 * The reader page: semantic, accessible HTML (article, figure/figcaption with the credit line),
 * the schema.org JSON-LD in the head. No client-side framework.
 */
export function renderArticlePage(article: ArticleView, publicUrl: string, options: { preview: boolean }): string {
  const lang = escapeHtml(article.locale);
  const body = article.body
    .map((block) =>
      block.__component === 'content.paragraph' ? `<p>${escapeHtml(block.text)}</p>` : figureHtml(block, publicUrl, false)
    )
    .join('\n');
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
<style>body{font:18px/1.6 Georgia,serif;max-width:42rem;margin:2rem auto;padding:0 1rem;color:#222}h1{font-size:2rem;line-height:1.2}figure{margin:1.5rem 0}figcaption{font-size:.9rem;color:#555}.credit{color:#777}.preview{background:#fff3cd;padding:.5rem 1rem;border:1px solid #e0c36a}</style>
</head>
<body>
${options.preview ? '<p class="preview" role="status">Preview: this is the draft, not what readers see yet.</p>' : ''}
<main>
<article>
<header>
<h1>${escapeHtml(article.headline)}</h1>
${standfirst ? `<p class="standfirst">${escapeHtml(standfirst)}</p>` : ''}
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
