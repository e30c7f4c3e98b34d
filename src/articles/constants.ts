export const ARTICLE_UID = 'api::article.article' as const;
export const CREDIT_UID = 'api::image-credit.image-credit' as const;
export const FIGURE_COMPONENT = 'media.figure' as const;
export const AUTHOR_UID = 'api::author.author' as const;
export const SECTION_UID = 'api::section.section' as const;
export const TAG_UID = 'api::tag.tag' as const;
export const PARAGRAPH_COMPONENT = 'content.paragraph' as const;
export const CORRECTION_COMPONENT = 'content.correction' as const;

/**
 * The tree every read of a whole article populates: lead and body figures with their credits,
 * authors in byline order, section, tags, corrections.
 */
export const ARTICLE_POPULATE = {
  lead: { populate: { credit: true, image: true } },
  body: {
    on: {
      [PARAGRAPH_COMPONENT]: true,
      [FIGURE_COMPONENT]: { populate: { credit: true, image: true } },
    },
  },
  credits: true,
  authors: true,
  section: true,
  tags: true,
  corrections: true,
} as const;
