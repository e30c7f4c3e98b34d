import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { formatStoryError, parseStoryBytes, type Story } from '../story';

/** Expands files and directories into the `.txt` files they name, in a stable order. */
export async function collectStoryFiles(paths: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => null);
    if (!info) throw new Error(`${path}: no such file or directory`);
    if (info.isDirectory()) {
      const names = (await readdir(path)).filter((name) => name.toLowerCase().endsWith('.txt')).sort();
      files.push(...names.map((name) => join(path, name)));
    } else {
      files.push(path);
    }
  }
  return [...new Set(files)];
}

export type ReadResult = { ok: true; stories: Story[] } | { ok: false; errors: string[] };

/** Reads and parses every file before anything is written: one bad file fails the batch. */
export async function readStories(files: string[]): Promise<ReadResult> {
  const stories: Story[] = [];
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
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, stories };
}
