import type { Knex } from 'knex';
import type { ArticleView } from '../representations/article-view';
import { cjkBigrams, searchConfig, searchHit, searchTexts } from './text';

/** Editors' index of draft versions (./schema.ts). */
export const DRAFT_SEARCH_TABLE = 'article_search_drafts';

const VECTOR_SQL = ['A', 'B', 'C', 'D'].map((weight) => `setweight(to_tsvector(?::regconfig, ?), '${weight}')`).join(' || ');

/** The weighted tsvector of an article, as SQL to put in an INSERT. */
export function searchVector(knex: Knex, article: ArticleView, locale: string): Knex.Raw {
  const config = searchConfig(locale);
  const texts = searchTexts(article);
  return knex.raw(VECTOR_SQL, [texts.a, texts.b, texts.c, texts.d].flatMap((text) => [config, cjkBigrams(text)]));
}

/** The search columns of an article's read-model row (./schema.ts), from its public JSON. */
export function searchColumns(knex: Knex, article: ArticleView, locale: string): Record<string, unknown> {
  const hit = searchHit(article);
  return {
    first_publish_date: hit.firstPublishDate ? new Date(hit.firstPublishDate) : null,
    search: searchVector(knex, article, locale),
    search_text: searchTexts(article).all,
    search_hit: JSON.stringify(hit),
    section_slug: article.section?.slug ?? null,
    section_name: article.section?.name ?? null,
    tag_slugs: (article.tags ?? []).map((tag) => tag.slug),
    tag_names: (article.tags ?? []).map((tag) => tag.name),
    author_slugs: (article.authors ?? []).map((author) => author.slug),
  };
}
