import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import sharp, { type Metadata } from 'sharp';
import { readPhotoMetadata, type PhotoMetadata } from '../photos/metadata';
import type { Story } from '../story';

/** A story's photo file, checked and read: what the importer uploads for photo block `position`. */
export interface PhotoFile {
  /** 1-based position of the photo block in the story (the lead photo is 1). */
  position: number;
  path: string;
  fileName: string;
  ext: string;
  mime: string;
  size: number;
  width: number;
  height: number;
  sha256: string;
  metadata: PhotoMetadata;
}

export interface PhotoLimits {
  /** Bytes a file may have (`UPLOAD_MAX_BYTES`). */
  maxBytes: number;
  /** Pixels an image may decode to (`IMAGE_MAX_PIXELS`): more is a decompression bomb. */
  maxPixels: number;
}

export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp'] as const;
const FORMAT_MIME: Record<string, string> = { jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp' };
const EXTENSION_FORMAT: Record<string, string> = { '.jpg': 'jpeg', '.jpeg': 'jpeg', '.png': 'png', '.webp': 'webp' };

const isImageName = (name: string) => (IMAGE_EXTENSIONS as readonly string[]).includes(extname(name).toLowerCase());
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** How many photo blocks a story has: the lead, then the body's figures. */
export function photoBlockCount(story: Story): number {
  return (story.lead ? 1 : 0) + story.body.filter((block) => block.type === 'figure').length;
}

/**
 * The image files that belong to each story file: `<base>-<n>.<jpg|jpeg|png|webp>` beside it.
 * A file named for a story whose `<n>` is no photo block of it is an error; so is, in a folder
 * given whole (`wholeFolders`), an image file that belongs to no story in it.
 */
export async function matchPhotoFiles(
  storyFiles: Array<{ file: string; story: Story }>,
  wholeFolders: ReadonlySet<string>
): Promise<{ matched: Map<string, Array<{ position: number; path: string }>>; errors: string[] }> {
  const matched = new Map<string, Array<{ position: number; path: string }>>();
  const errors: string[] = [];
  const byFolder = new Map<string, Array<{ file: string; story: Story }>>();
  for (const entry of storyFiles) {
    const folder = dirname(entry.file);
    byFolder.set(folder, [...(byFolder.get(folder) ?? []), entry]);
  }
  for (const [folder, entries] of byFolder) {
    const images = (await readdir(folder)).filter(isImageName).sort();
    const claimed = new Set<string>();
    for (const { file, story } of entries) {
      const base = basename(file, extname(file));
      // The story's name as written (Report.txt and report.txt are two stories); any case of extension.
      const pattern = new RegExp(`^${escapeRegExp(base)}-(\\d+)\\.(?:[jJ][pP][eE]?[gG]|[pP][nN][gG]|[wW][eE][bB][pP])$`);
      const photos: Array<{ position: number; path: string }> = [];
      const blocks = photoBlockCount(story);
      for (const name of images) {
        const position = Number(pattern.exec(name)?.[1] ?? NaN);
        if (Number.isNaN(position)) continue;
        claimed.add(name);
        if (position < 1 || position > blocks) {
          errors.push(`${join(folder, name)}: matches no photo block of ${basename(file)} (it has ${blocks}; the lead photo is 1)`);
        } else if (photos.some((p) => p.position === position)) {
          errors.push(`${join(folder, name)}: a second file for photo ${position} of ${basename(file)}`);
        } else {
          photos.push({ position, path: join(folder, name) });
        }
      }
      matched.set(file, photos.sort((a, b) => a.position - b.position));
    }
    if (wholeFolders.has(folder)) {
      for (const name of images) if (!claimed.has(name)) errors.push(`${join(folder, name)}: matches no story's photo block (name photos <story>-<n>.jpg)`);
    }
  }
  return { matched, errors };
}

/**
 * Reads and checks one photo file, without decoding more than the limits allow: its size first,
 * then its header (format and pixel count), then a full decode (a truncated file fails here),
 * then its metadata. Errors name the file and say what is wrong.
 */
export async function inspectPhotoFile(path: string, position: number, limits: PhotoLimits): Promise<{ ok: true; photo: PhotoFile } | { ok: false; error: string }> {
  const fail = (message: string) => ({ ok: false as const, error: `${path}: ${message}` });
  const info = await stat(path).catch(() => null);
  if (!info?.isFile()) return fail('not a readable file');
  if (info.size > limits.maxBytes) return fail(`${info.size} bytes, over the ${limits.maxBytes}-byte limit (UPLOAD_MAX_BYTES)`);
  const bytes = await readFile(path);
  let header: Metadata;
  try {
    header = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch {
    return fail('not an image (JPEG, PNG or WebP)');
  }
  const format: string = header.format;
  const mime = FORMAT_MIME[format ?? ''];
  if (!mime) return fail(`a ${header.format ?? 'unknown'} image; photos are JPEG, PNG or WebP`);
  const ext = extname(path).toLowerCase();
  if (EXTENSION_FORMAT[ext] !== format) return fail(`named ${ext} but holds a ${format.toUpperCase()} image`);
  const width = header.width ?? 0;
  const height = header.height ?? 0;
  // An animated image decodes every frame.
  const frames = Math.max(1, header.pages ?? 1);
  if (width < 1 || height < 1) return fail('an image without dimensions');
  if (width * height * frames > limits.maxPixels) {
    const size = `${width}×${height} pixels${frames > 1 ? ` × ${frames} frames` : ''}`;
    return fail(`${size}, over the ${limits.maxPixels}-pixel limit (IMAGE_MAX_PIXELS): a decompression bomb or an image too large to process`);
  }
  try {
    await sharp(bytes, { failOn: 'truncated', limitInputPixels: limits.maxPixels, animated: frames > 1 }).stats();
  } catch (error) {
    return fail(`a damaged or truncated image (${(error as Error).message})`);
  }
  return {
    ok: true,
    photo: {
      position,
      path,
      fileName: basename(path),
      ext,
      mime,
      size: info.size,
      width,
      height,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      metadata: await readPhotoMetadata(bytes),
    },
  };
}
