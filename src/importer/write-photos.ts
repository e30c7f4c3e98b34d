import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  /** The file's caption: used only where the story's text has none. */
  caption?: string;
  photographer?: string;
  copyright?: string;
}

/** Files stored by an import that has not committed yet: deleted if it rolls back. */
export type StoredFiles = UploadedFile[];

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

// What Strapi's upload service refuses in a file name (its isValidFilename), replaced.
const RESERVED = /[<>:"/\\|?*\u0000-\u001f]/g;

/** The start of every media-library name the importer gives a story's photos. */
function mediaPrefix(story: Story): string {
  return `${story.source.replace(RESERVED, '_').slice(0, 200)}-`;
}

/**
 * The media-library name of a story's photo: its file name with the start of its sha256, so the
 * same bytes are one file (a re-import or another locale finds it) and new bytes are a new file.
 */
export function mediaName(story: Story, photo: PhotoFile): string {
  return `${mediaPrefix(story)}${photo.position}.${photo.sha256.slice(0, 12)}${photo.ext}`;
}

/**
 * Puts each photo file into the media library through Strapi's upload service (its responsive
 * formats, its provider: local disk or S3), inside the story's transaction: the file rows commit
 * or roll back with the story; what was stored is listed in `stored` for the caller to delete if
 * the story rolls back. The bytes uploaded are the bytes that were checked: a file changed since
 * (a wire drop still being written) fails the story.
 */
export async function uploadPhotos(strapi: Core.Strapi, story: Story, photos: PhotoFile[], stored: StoredFiles): Promise<Map<number, FigurePhoto>> {
  const blocks = photoBlocks(story);
  const byPosition = new Map<number, FigurePhoto>();
  for (const photo of photos) {
    const block = blocks[photo.position - 1];
    const name = mediaName(story, photo);
    const existing = (await strapi.db.query(FILE_UID).findOne({ where: { name }, select: ['id'] })) as { id: number } | null;
    let id = existing?.id;
    if (id === undefined) {
      const bytes = await readFile(photo.path);
      if (createHash('sha256').update(bytes).digest('hex') !== photo.sha256) throw new Error(`${photo.path}: changed while the import ran; nothing of this story was written`);
      const copy = await mkdtemp(join(tmpdir(), 'news-photo-'));
      try {
        const filepath = join(copy, `photo${photo.ext}`);
        await writeFile(filepath, bytes);
        const caption = block?.caption || photo.metadata.caption;
        const [file] = (await strapi
          .plugin('upload')
          .service('upload')
          .upload({
            data: { fileInfo: { name, caption, alternativeText: caption } },
            files: { filepath, originalFilename: name, mimetype: photo.mime, size: bytes.length },
          })) as UploadedFile[];
        stored.push(file);
        id = file.id;
      } finally {
        await rm(copy, { recursive: true, force: true });
      }
    }
    // As long as the figure's fields allow (a file can say more).
    byPosition.set(photo.position, {
      image: id,
      caption: photo.metadata.caption?.slice(0, 1000),
      photographer: photo.metadata.photographer?.slice(0, 255),
      copyright: photo.metadata.copyright?.slice(0, 500),
    });
  }
  return byPosition;
}

/** Deletes the stored bytes (the file and its formats) of files whose rows rolled back. */
export async function deleteStored(strapi: Core.Strapi, files: StoredFiles): Promise<void> {
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
export async function removeUnusedImports(strapi: Core.Strapi, story: Story, ids: number[]): Promise<void> {
  const prefix = mediaPrefix(story);
  const imported = (name: string) => name.startsWith(prefix) && /^\d+\.[0-9a-f]{12}\.(?:jpe?g|png|webp)$/.test(name.slice(prefix.length));
  for (const id of new Set(ids)) {
    const file = (await strapi.db.query(FILE_UID).findOne({ where: { id }, populate: { related: true } })) as (UploadedFile & { name: string; related?: unknown[] }) | null;
    if (!file || (file.related?.length ?? 0) > 0 || !imported(file.name)) continue;
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
      // A story without a caption takes the file's: nothing to warn about.
      photo.metadata.caption !== undefined && comparable(block.caption) !== '' && comparable(photo.metadata.caption) !== comparable(block.caption) ? `caption "${photo.metadata.caption}"` : undefined,
      photo.metadata.credit !== undefined && comparable(photo.metadata.credit) !== comparable(block.credit) ? `credit "${photo.metadata.credit}"` : undefined,
    ].filter((part) => part !== undefined);
    if (differs.length > 0) lines.push(`warning: ${photo.path}: the file's ${differs.join(' and ')} differ from the story's; the story's are kept`);
  }
  return lines;
}
