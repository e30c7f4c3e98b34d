import { z } from 'zod';

/**
 * The contract between the wire-text parser and the database writer.
 * Everything the importer receives has passed StorySchema.
 */

export const HEADLINE_MAX_CODE_POINTS = 300;
export const CAPTION_MAX_LENGTH = 1000;
export const CREDIT_MAX_LENGTH = 255;

/** Counts Unicode code points, so an emoji or a rare CJK ideograph counts as one character. */
export function codePointLength(text: string): number {
  return [...text].length;
}

export const FigureSchema = z.object({
  caption: z.string().max(CAPTION_MAX_LENGTH),
  credit: z.string().min(1).max(CREDIT_MAX_LENGTH),
});

export const ParagraphBlockSchema = z.object({
  type: z.literal('paragraph'),
  text: z.string().min(1),
});

// `type` first, like the paragraph block: zod returns keys in schema order, and the content hash
// is taken over JSON.stringify of the blocks, so the parsed Story must reproduce it key for key.
export const FigureBlockSchema = z.object({
  type: z.literal('figure'),
  caption: FigureSchema.shape.caption,
  credit: FigureSchema.shape.credit,
});

export const BodyBlockSchema = z.discriminatedUnion('type', [ParagraphBlockSchema, FigureBlockSchema]);

export const AUTHOR_NAME_MAX_LENGTH = 120;
export const DATELINE_MAX_LENGTH = 120;

export const StorySchema = z.object({
  // The file's base name without extension: the story's identity across re-imports and locales.
  source: z.string().min(1),
  headline: z.string().superRefine((headline, ctx) => {
    const length = codePointLength(headline);
    if (length < 1) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'headline is empty' });
    } else if (length > HEADLINE_MAX_CODE_POINTS) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `headline is longer than ${HEADLINE_MAX_CODE_POINTS} characters (${length})`,
      });
    }
  }),
  lead: FigureSchema.nullable(),
  body: z
    .array(BodyBlockSchema)
    .refine((blocks) => blocks.some((block) => block.type === 'paragraph'), {
      message: 'story has no body paragraph',
    }),
  // From the optional byline block (`By A and B`): names in order, all-caps names in name case.
  authors: z.array(z.string().min(1).max(AUTHOR_NAME_MAX_LENGTH)).max(20),
  // From the optional dateline (`HARBIN, China (AP) — …`): the place, without the agency.
  dateline: z.string().min(1).max(DATELINE_MAX_LENGTH).nullable(),
  contentHash: z.string().regex(/^[0-9a-f]{64}$/, 'contentHash must be a lowercase sha256 hex digest'),
});

export type Figure = z.infer<typeof FigureSchema>;
export type ParagraphBlock = z.infer<typeof ParagraphBlockSchema>;
export type FigureBlock = z.infer<typeof FigureBlockSchema>;
export type BodyBlock = z.infer<typeof BodyBlockSchema>;
export type Story = z.infer<typeof StorySchema>;
