import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Core } from '@strapi/strapi';
import { writeStory, type ImportOutcome } from '../../src/importer/write-story';
import { parseStory } from '../../src/story';

export const BUNDLED_FILE = '000_2783d38fba8e7824.txt';
export const BUNDLED_SLUG = 'putin-visits-chinas-little-moscow-as-allies-continue-to-discuss-trade';

/** Parses wire text and publishes it in `en` through the real importer. */
export async function publishStory(strapi: Core.Strapi, text: string, fileName: string): Promise<ImportOutcome> {
  const parsed = parseStory(text, fileName);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return writeStory(strapi, parsed.story, { locale: 'en', status: 'published', force: false });
}

/** The bundled story from data/stories, published. */
export function publishBundledStory(strapi: Core.Strapi): Promise<ImportOutcome> {
  const text = readFileSync(join(__dirname, '..', '..', 'data', 'stories', BUNDLED_FILE), 'utf8');
  return publishStory(strapi, text, BUNDLED_FILE);
}
