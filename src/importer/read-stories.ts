import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { formatStoryError, parseStoryBytes, type Story } from '../story';
import { inspectPhotoFile, matchPhotoFiles, type PhotoFile, type PhotoLimits } from './photo-files';

export interface StoryFiles {
  /** The `.txt` files, in a stable order. */
  files: string[];
  /** Folders given whole: every image file in them must belong to a story. */
  wholeFolders: Set<string>;
}

/** Expands files and directories into the `.txt` files they name, in a stable order. */
export async function collectStoryFiles(paths: string[]): Promise<string[]> {
  return (await collectStories(paths)).files;
}

export async function collectStories(paths: string[]): Promise<StoryFiles> {
  const files: string[] = [];
  const wholeFolders = new Set<string>();
  for (const path of paths) {
    const info = await stat(path).catch(() => null);
    if (!info) throw new Error(`${path}: no such file or directory`);
    if (info.isDirectory()) {
      const names = (await readdir(path)).filter((name) => name.toLowerCase().endsWith('.txt')).sort();
      files.push(...names.map((name) => join(path, name)));
      wholeFolders.add(join(path));
    } else {
      files.push(path);
    }
  }
  return { files: [...new Set(files)], wholeFolders };
}

export type ReadResult = { ok: true; stories: Story[]; photos: Map<string, PhotoFile[]> } | { ok: false; errors: string[] };

/** Photo limits when none are given: the defaults of `UPLOAD_MAX_BYTES` and `IMAGE_MAX_PIXELS`. */
export const DEFAULT_PHOTO_LIMITS: PhotoLimits = { maxBytes: 30 * 1024 * 1024, maxPixels: 100_000_000 };

/**
 * Reads, parses and checks every file (texts and their photos) before anything is written: one
 * bad file fails the batch. `photos` holds each story's photo files by its source name.
 */
export async function readStories(files: string[], options: { wholeFolders?: Set<string>; limits?: PhotoLimits } = {}): Promise<ReadResult> {
  const stories: Story[] = [];
  const parsed: Array<{ file: string; story: Story }> = [];
  const errors: string[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    const result = parseStoryBytes(await readFile(file), file);
    if (!result.ok) {
      errors.push(formatStoryError(result.error));
      continue;
    }
    const other = seen.get(result.story.source);
    if (other) {
      errors.push(`${file}: same story name as ${other} (a story is its file's base name)`);
      continue;
    }
    seen.set(result.story.source, file);
    stories.push(result.story);
    parsed.push({ file, story: result.story });
  }
  const photos = new Map<string, PhotoFile[]>();
  const wholeFolders = new Set([...(options.wholeFolders ?? [])].map((folder) => resolve(folder)));
  const { matched, errors: nameErrors } = await matchPhotoFiles(
    parsed.map(({ file, story }) => ({ file: resolve(file), story })),
    wholeFolders
  );
  errors.push(...nameErrors);
  for (const { file, story } of parsed) {
    const checked: PhotoFile[] = [];
    for (const { position, path } of matched.get(resolve(file)) ?? []) {
      const result = await inspectPhotoFile(path, position, options.limits ?? DEFAULT_PHOTO_LIMITS);
      if (result.ok) checked.push(result.photo);
      else errors.push(result.error);
    }
    photos.set(story.source, checked);
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, stories, photos };
}
