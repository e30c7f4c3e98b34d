import { z } from 'zod';
import { FIGURE_COMPONENT, PARAGRAPH_COMPONENT } from '../articles/constants';

/** What a revision keeps of an article: its text, figures, captions and credits. */
const CreditSnapshot = z.object({ documentId: z.string(), name: z.string() }).nullable();
const FigureSnapshot = z.object({
  caption: z.string().nullable(),
  alt: z.string().nullable(),
  credit: CreditSnapshot,
  imageId: z.number().nullable(),
  // Kept since restores carry them. Older revisions have none (undefined): a restore then keeps
  // the current draft's values for the same photo (see withCurrentPhotoFields).
  photographer: z.string().nullable().optional(),
  copyright: z.string().nullable().optional(),
});
const CorrectionSnapshot = z.object({ kind: z.string(), text: z.string(), date: z.string().nullable() });
export const SnapshotSchema = z.object({
  headline: z.string(),
  slug: z.string().nullable(),
  standfirst: z.string().nullable(),
  // Added with bylines and corrections: older revisions have none.
  byline: z.string().nullable().default(null),
  dateline: z.string().nullable().default(null),
  corrections: z.array(CorrectionSnapshot).default([]),
  lead: FigureSnapshot.nullable(),
  body: z.array(
    z.discriminatedUnion('type', [
      z.object({ type: z.literal('paragraph'), text: z.string() }),
      FigureSnapshot.extend({ type: z.literal('figure') }),
    ])
  ),
});
export type Snapshot = z.infer<typeof SnapshotSchema>;
type FigureSnap = z.infer<typeof FigureSnapshot>;

interface FigureIn {
  caption?: string | null;
  alt?: string | null;
  credit?: { documentId: string; name: string } | null;
  image?: { id: number } | null;
  photographer?: string | null;
  copyright?: string | null;
}
export interface ArticleIn {
  headline: string;
  slug?: string | null;
  standfirst?: string | null;
  byline?: string | null;
  dateline?: string | null;
  corrections?: Array<{ kind: string; text: string; date?: string | Date | null }> | null;
  lead?: FigureIn | null;
  body?: Array<FigureIn & { __component: string; text?: string }> | null;
}

const figure = (f: FigureIn): FigureSnap => ({
  caption: f.caption ?? null,
  alt: f.alt ?? null,
  credit: f.credit ? { documentId: f.credit.documentId, name: f.credit.name } : null,
  imageId: f.image?.id ?? null,
  photographer: f.photographer ?? null,
  copyright: f.copyright ?? null,
});

export function snapshotOf(article: ArticleIn): Snapshot {
  return {
    headline: article.headline,
    slug: article.slug ?? null,
    standfirst: article.standfirst ?? null,
    byline: article.byline ?? null,
    dateline: article.dateline ?? null,
    corrections: (article.corrections ?? []).map((c) => ({ kind: c.kind, text: c.text, date: c.date ? new Date(c.date).toISOString() : null })),
    lead: article.lead ? figure(article.lead) : null,
    body: (article.body ?? []).map((block) =>
      block.__component === PARAGRAPH_COMPONENT
        ? { type: 'paragraph' as const, text: block.text ?? '' }
        : { type: 'figure' as const, ...figure(block) }
    ),
  };
}

/** Document Service data that puts a snapshot back as the draft. */
export function dataOf(snapshot: Snapshot): Record<string, unknown> {
  const figureData = (f: FigureSnap) => ({
    caption: f.caption,
    alt: f.alt,
    credit: f.credit ? f.credit.documentId : null,
    image: f.imageId,
    photographer: f.photographer,
    copyright: f.copyright,
  });
  return {
    headline: snapshot.headline,
    standfirst: snapshot.standfirst,
    byline: snapshot.byline,
    dateline: snapshot.dateline,
    // No `corrections`: a restore leaves the current ones as they are (a correction is never lost).
    lead: snapshot.lead ? figureData(snapshot.lead) : null,
    body: snapshot.body.map((block) =>
      block.type === 'paragraph'
        ? { __component: PARAGRAPH_COMPONENT, text: block.text }
        : { __component: FIGURE_COMPONENT, ...figureData(block) }
    ),
  };
}

type PhotoFields = { imageId: number | null; photographer: string | null; copyright: string | null };

/**
 * A snapshot from before revisions kept photographers and copyrights: each of its figures takes
 * them from the current draft's figure of the same photo (else the one in the same place: the
 * lead, or the nth body figure), so a restore does not erase them.
 */
export function withCurrentPhotoFields(snapshot: Snapshot, current: { lead: PhotoFields | null; body: PhotoFields[] }): Snapshot {
  const all = [...(current.lead ? [current.lead] : []), ...current.body];
  const byImage = new Map(all.filter((f) => f.imageId !== null).map((f) => [f.imageId, f]));
  const fill = <F extends FigureSnap>(f: F, inPlace: PhotoFields | null | undefined): F => {
    const same = (f.imageId !== null ? byImage.get(f.imageId) : undefined) ?? inPlace;
    return {
      ...f,
      photographer: f.photographer !== undefined ? f.photographer : (same?.photographer ?? null),
      copyright: f.copyright !== undefined ? f.copyright : (same?.copyright ?? null),
    };
  };
  let nth = 0;
  return {
    ...snapshot,
    lead: snapshot.lead ? fill(snapshot.lead, current.lead) : null,
    body: snapshot.body.map((block) => (block.type === 'figure' ? fill(block, current.body[nth++]) : block)),
  };
}

/** The readable lines a diff compares: headline, standfirst, paragraphs and captions. */
export function textLines(snapshot: Snapshot): string[] {
  const lines = [`Headline: ${snapshot.headline}`];
  if (snapshot.standfirst) lines.push(`Standfirst: ${snapshot.standfirst}`);
  if (snapshot.byline) lines.push(`Byline: ${snapshot.byline}`);
  if (snapshot.dateline) lines.push(`Dateline: ${snapshot.dateline}`);
  for (const c of snapshot.corrections) lines.push(`${c.kind === 'clarification' ? 'Clarification' : 'Correction'}${c.date ? ` (${c.date.slice(0, 10)})` : ''}: ${c.text}`);
  const figureLine = (label: string, f: FigureSnap) =>
    `${label}: ${f.caption ?? ''}${f.credit ? ` (Credit: ${f.credit.name})` : ''}`;
  if (snapshot.lead) lines.push(figureLine('Lead photo', snapshot.lead));
  for (const block of snapshot.body) {
    lines.push(block.type === 'paragraph' ? block.text : figureLine('Photo', block));
  }
  return lines;
}
