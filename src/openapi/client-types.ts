import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { OpenApiDocument } from './document';

/** Where `npm run client:types` writes the front-end's types, from the checkout's root. */
export const CLIENT_TYPES_FILE = join('types', 'public-api.d.ts');

/**
 * TypeScript types of the public API from its OpenAPI document, by openapi-typescript (the
 * generator openapi-fetch's typed client is built on). The text of `types/public-api.d.ts`.
 */
export async function clientTypes(document: OpenApiDocument, root: string): Promise<string> {
  const cli = join(root, 'node_modules', 'openapi-typescript', 'bin', 'cli.js');
  const dir = await mkdtemp(join(tmpdir(), 'news-openapi-'));
  try {
    const input = join(dir, 'openapi.json');
    const output = join(dir, 'public-api.d.ts');
    await writeFile(input, JSON.stringify(document));
    await promisify(execFile)(process.execPath, [cli, input, '--output', output], { cwd: root, env: { ...process.env, NO_COLOR: '1' } });
    return await readFile(output, 'utf8');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
