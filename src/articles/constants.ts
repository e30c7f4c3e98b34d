export const ARTICLE_UID = 'api::article.article' as const;
export const CREDIT_UID = 'api::image-credit.image-credit' as const;
export const FIGURE_COMPONENT = 'media.figure' as const;
export const PARAGRAPH_COMPONENT = 'content.paragraph' as const;

/** The tree every read of a whole article populates: lead and body figures with their credits. */
export const ARTICLE_POPULATE = {
  lead: { populate: { credit: true, image: true } },
  body: {
    on: {
      [PARAGRAPH_COMPONENT]: true,
      [FIGURE_COMPONENT]: { populate: { credit: true, image: true } },
    },
  },
  credits: true,
} as const;
