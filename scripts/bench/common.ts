import { join, resolve } from 'node:path';

/** The project root, from the compiled copy under dist/scripts/bench/. */
export const ROOT = resolve(__dirname, '..', '..', '..');
export const RESULTS = join(ROOT, 'bench', 'results');
export const STORIES = join(ROOT, 'data', 'stories');
export const say = (line: string) => console.error(`[bench] ${line}`);
