import { createHash } from 'node:crypto';
import type { Core } from '@strapi/strapi';
import type { Figure, Story } from '../story';
import type { PhotoFile } from './photo-files';

const FILE_UID = 'plugin::upload.file';

interface UploadedFile {
  id: number;
  hash: string;
  ext: string;
  url: string;
  formats?: Record<string, { hash: string; ext: string; url: string }> | null;
}

/** What the importer puts on a figure from its photo file. */
export interface FigurePhoto {
  image: number;
  photographer?: string;
  copyright?: string;
}

/**
 * What identifies an import: the story's text, and each photo file's bytes at its position. A story
 * without photos keeps its text hash (imports from before photos stay "unchanged").
 */
export function importKey(story: Story, photos: PhotoFile[]): string {
  if (photos.length === 0) return story.contentHash;
  const files = photos.map((photo) => `${photo.position}:${photo.sha256}`).join(',');
  return createHash('sha256').update(`${story.contentHash}|${files}`).digest('hex');
}

/** The photo blocks in file order: the lead (1), then the body's figures. */
export function photoBlocks(story: Story): Figure[] {
  return [...(story.lead ? [story.lead] : []), ...story.body.filter((block) => block.type === 'figure')];
}

/**
 * The media-library name of a story's photo: its file name with the start of its sha256, so the
 * same bytes are one file (a re-import or another locale finds it) and new bytes are a new file.
 */
export function mediaName(story: Story, photo: PhotoFile): string {
  return `${story.source}-${photo.position}.${photo.sha256.slice(0, 12)}${photo.ext}`;
}

/**
 * Puts each photo file into the media library through Strapi's upload service (its responsive
 * formats, its provider: local disk or S3), inside the story's transaction: the file rows commit
 * or roll back with the story; on a rollback the stored bytes are deleted too.
 */
export async function uploadPhotos(
  strapi: Core.Strapi,
  story: Story,
  photos: PhotoFile[],
  onRollback: (callback: () => void) => void
): Promise<Map<number, FigurePhoto>> {
  const blocks = photoBlocks(story);
  const byPosition = new Map<number, FigurePhoto>();
  const created: UploadedFile[] = [];
  onRollback(() => {
    void deleteStored(strapi, created);
  });
  for (const photo of photos) {
    const block = blocks[photo.position - 1];
    const name = mediaName(story, photo);
    const existing = (await strapi.db.query(FILE_UID).findOne({ where: { name }, select: ['id'] })) as { id: number } | null;
    let id = existing?.id;
    if (id === undefined) {
      const [file] = (await strapi
        .plugin('upload')
        .service('upload')
        .upload({
          data: { fileInfo: { name, caption: block?.caption, alternativeText: block?.caption } },
          files: { filepath: photo.path, originalFilename: name, mimetype: photo.mime, size: photo.size },
        })) as UploadedFile[];
      created.push(file);
      id = file.id;
    }
    // As long as the figure's fields allow (a file can say more).
    byPosition.set(photo.position, { image: id, photographer: photo.metadata.photographer?.slice(0, 255), copyright: photo.metadata.copyright?.slice(0, 500) });
  }
  return byPosition;
}

async function deleteStored(strapi: Core.Strapi, files: UploadedFile[]): Promise<void> {
  const provider = strapi.plugin('upload').provider as { delete(file: unknown): Promise<void> };
  for (const file of files) {
    for (const stored of [file, ...Object.values(file.formats ?? {})]) {
      await provider.delete(stored).catch((error: Error) => strapi.log.warn(`import rolled back; could not delete ${stored.url}: ${error.message}`));
    }
  }
}

/** The image files a document's draft in this locale shows now (its lead and body figures). */
export async function draftImageIds(strapi: Core.Strapi, uid: string, documentId: string, locale: string): Promise<number[]> {
  const image = { populate: { image: { fields: ['id'] } } };
  const draft = (await strapi.documents(uid as never).findOne({
    documentId,
    locale,
    status: 'draft',
    fields: ['id'],
    populate: { lead: image, body: { on: { 'media.figure': image } } },
  } as never)) as { lead?: { image?: { id: number } | null } | null; body?: Array<{ image?: { id: number } | null }> } | null;
  return [draft?.lead, ...(draft?.body ?? [])].map((figure) => figure?.image?.id).filter((id): id is number => typeof id === 'number');
}

/**
 * After a re-import replaced a story's photo, its previous file leaves the media library once
 * nothing shows it any more (another locale, the published version or an editor's other article
 * may still): only files the importer made for this story, found by their name.
 */
export async function removeUnusedImports(strapi: Core.Strapi, source: string, ids: number[]): Promise<void> {
  for (const id of new Set(ids)) {
    const file = (await strapi.db.query(FILE_UID).findOne({ where: { id }, populate: { related: true } })) as (UploadedFile & { name: string; related?: unknown[] }) | null;
    if (!file || (file.related?.length ?? 0) > 0 || !file.name.startsWith(`${source}-`)) continue;
    await strapi.plugin('upload').service('upload').remove(file);
  }
}

const comparable = (text: string | undefined) => text?.replace(/\s+/g, ' ').replace(/[.\s]+$/, '').trim();

/**
 * One line per photo file whose own caption or credit differs from the story's (the story's is
 * kept; the editor may want to look). Nothing when they agree or the file says nothing.
 */
export function metadataWarnings(story: Story, photos: PhotoFile[]): string[] {
  const blocks = photoBlocks(story);
  const lines: string[] = [];
  for (const photo of photos) {
    const block = blocks[photo.position - 1];
    if (!block) continue;
    const differs = [
      photo.metadata.caption !== undefined && comparable(photo.metadata.caption) !== comparable(block.caption) ? `caption "${photo.metadata.caption}"` : undefined,
      photo.metadata.credit !== undefined && comparable(photo.metadata.credit) !== comparable(block.credit) ? `credit "${photo.metadata.credit}"` : undefined,
    ].filter((part) => part !== undefined);
    if (differs.length > 0) lines.push(`warning: ${photo.path}: the file's ${differs.join(' and ')} differ from the story's; the story's are kept`);
  }
  return lines;
}
