import { parseArgs } from 'node:util';
import { join } from 'node:path';
import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { LocaleCode } from '../src/bootstrap/locales';
import { collectStories, collectStoryFiles, readStories } from '../src/importer/read-stories';
import { metadataWarnings } from '../src/importer/write-photos';
import type { PhotoFile } from '../src/importer/photo-files';
import { readEnv } from '../src/env';
import { writeStory, type ImportOutcome } from '../src/importer/write-story';
import type { Story } from '../src/story';

export const EXIT = { ok: 0, badInput: 1, usage: 2, skipped: 3 } as const;

const USAGE = 'usage: npm run import -- [--draft] [--publish-at <ISO 8601 time>] [--section <slug>] [--locale <code>] [--dry-run] [--force] <file|dir>...';

/**
 * `--publish-at`: an ISO 8601 time. With an offset (`Z`, `+02:00`) it is that instant; without
 * one it is local time where the command runs (TZ), and a local time that does not exist (the
 * hour skipped when clocks go forward) is refused rather than guessed.
 */
export function parsePublishAt(value: string): { ok: true; at: Date } | { ok: false; message: string } {
  const iso = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(value);
  if (!iso) return { ok: false, message: `--publish-at must be an ISO 8601 time like 2027-03-28T06:00:00Z, not "${value}"` };
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) return { ok: false, message: `--publish-at: "${value}" is not a valid time` };
  if (!iso[7]) {
    const [, y, mo, d, h, mi, sec] = iso;
    const back = [at.getFullYear(), at.getMonth() + 1, at.getDate(), at.getHours(), at.getMinutes(), at.getSeconds()];
    if (back.join() !== [y, mo, d, h, mi, sec ?? 0].map(Number).join()) {
      return { ok: false, message: `--publish-at: ${value} does not exist in the local time zone (clocks skip it); give an offset, e.g. ${value}Z` };
    }
  }
  return { ok: true, at };
}

const OptionsSchema = z.object({
  draft: z.boolean(),
  publishAt: z.date().optional(),
  section: z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, '--section takes a slug like world-news').max(80).optional(),
  dryRun: z.boolean(),
  force: z.boolean(),
  locale: LocaleCode,
  paths: z.array(z.string().min(1)).min(1, 'name at least one file or directory'),
});
export type ImportOptions = z.infer<typeof OptionsSchema>;

export function parseImportArgs(argv: string[]): { ok: true; options: ImportOptions } | { ok: false; message: string } {
  let values: { draft?: boolean; 'dry-run'?: boolean; force?: boolean; locale?: string; section?: string; 'publish-at'?: string };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        draft: { type: 'boolean' },
        'dry-run': { type: 'boolean' },
        force: { type: 'boolean' },
        locale: { type: 'string', default: 'en' },
        section: { type: 'string' },
        'publish-at': { type: 'string' },
      },
    }));
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
  let publishAt: Date | undefined;
  if (values['publish-at'] !== undefined) {
    const parsed = parsePublishAt(values['publish-at']);
    if (!parsed.ok) return parsed;
    publishAt = parsed.at;
  }
  const parsed = OptionsSchema.safeParse({
    draft: values.draft ?? false,
    dryRun: values['dry-run'] ?? false,
    force: values.force ?? false,
    locale: values.locale,
    section: values.section,
    publishAt,
    paths: positionals,
  });
  if (!parsed.success) return { ok: false, message: parsed.error.issues[0].message };
  return { ok: true, options: parsed.data };
}

type WithStrapi = (work: (strapi: Core.Strapi) => Promise<number>) => Promise<number>;

/** `npm run import`: parse everything first, then write story by story. */
export async function runImportCommand(argv: string[], deps: { withStrapi: WithStrapi }): Promise<number> {
  const args = parseImportArgs(argv);
  if (!args.ok) {
    console.error(args.message);
    console.error(USAGE);
    return EXIT.usage;
  }
  const { options } = args;
  let files: string[];
  let wholeFolders: Set<string>;
  try {
    ({ files, wholeFolders } = await collectStories(options.paths));
  } catch (error) {
    console.error((error as Error).message);
    return EXIT.usage;
  }
  if (files.length === 0) {
    console.error('no .txt story files found');
    return EXIT.usage;
  }
  const env = readEnv();
  const read = await readStories(files, { wholeFolders, limits: { maxBytes: env.UPLOAD_MAX_BYTES, maxPixels: env.IMAGE_MAX_PIXELS } });
  if (!read.ok) {
    for (const line of read.errors) console.error(line);
    console.error(`nothing written: ${read.errors.length} problem(s) in ${files.length} stor${files.length === 1 ? 'y' : 'ies'} and their photos`);
    return EXIT.badInput;
  }
  for (const story of read.stories) for (const line of metadataWarnings(story, read.photos.get(story.source) ?? [])) console.error(line);
  if (options.publishAt) console.error(`scheduled: drafts published at ${options.publishAt.toISOString()}`);
  if (options.dryRun) {
    process.stdout.write(`${JSON.stringify(read.stories, null, 2)}\n`);
    return EXIT.ok;
  }
  return deps.withStrapi((strapi) =>
    importStories(strapi, read.stories, {
      locale: options.locale,
      // Scheduled stories are drafts until their time.
      status: options.draft || options.publishAt ? 'draft' : 'published',
      force: options.force,
      publishAt: options.publishAt,
      section: options.section,
    }, undefined, read.photos)
  );
}

export async function importStories(
  strapi: Core.Strapi,
  stories: Story[],
  options: { locale: string; status: 'published' | 'draft'; force: boolean; publishAt?: Date; section?: string },
  report: { skipIsError: boolean } = { skipIsError: true },
  photos: Map<string, PhotoFile[]> = new Map()
): Promise<number> {
  const counts: Record<ImportOutcome, number> = { created: 0, updated: 0, unchanged: 0, skipped: 0 };
  const progress = createProgress(stories.length);
  for (const story of stories) {
    const outcome = await writeStory(strapi, story, { ...options, photos: photos.get(story.source) });
    counts[outcome] += 1;
    if (outcome === 'skipped') console.error(`${story.source}: skipped: revised by an editor since import (use --force to overwrite)`);
    progress.tick(story.source, outcome);
  }
  progress.done();
  console.log(`created ${counts.created}, updated ${counts.updated}, unchanged ${counts.unchanged}, skipped ${counts.skipped}`);
  return counts.skipped > 0 && report.skipIsError ? EXIT.skipped : EXIT.ok;
}

/** A bar on a terminal, a plain line per story otherwise (both on stderr). */
function createProgress(total: number) {
  const tty = process.stderr.isTTY === true;
  let done = 0;
  return {
    tick(source: string, outcome: ImportOutcome) {
      done += 1;
      if (tty) {
        const width = 30;
        const filled = Math.round((done / total) * width);
        process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`);
      } else if (total > 1) {
        process.stderr.write(`${done}/${total} ${source}: ${outcome}\n`);
      }
    },
    done() {
      if (tty) process.stderr.write('\n');
    },
  };
}

/** `npm run seed`: the bundled stories, published in English. An editor's revision is kept. */
export async function runSeed(strapi: Core.Strapi, root: string): Promise<number> {
  const files = await collectStoryFiles([join(root, 'data', 'stories')]);
  const env = readEnv();
  const read = await readStories(files, { limits: { maxBytes: env.UPLOAD_MAX_BYTES, maxPixels: env.IMAGE_MAX_PIXELS } });
  if (!read.ok) {
    for (const line of read.errors) console.error(line);
    return EXIT.badInput;
  }
  return importStories(strapi, read.stories, { locale: 'en', status: 'published', force: false }, { skipIsError: false }, read.photos);
}
