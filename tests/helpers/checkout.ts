import { execFileSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/**
 * A clean copy of this checkout at `target`, as a newcomer's clone would be once installed and
 * built: everything but .git, .tmp (the embedded cluster, secrets, staging) and the uploaded
 * files; node_modules hard-linked (nothing writes into it), or copied on another filesystem.
 */
export function copyCheckout(target: string): string {
  cpSync(ROOT, target, {
    recursive: true,
    verbatimSymlinks: true,
    filter: (source) => !/\/(node_modules|\.git|\.tmp)$/.test(source) && !/\/public\/uploads\/[^/]+$/.test(source),
  });
  try {
    execFileSync('cp', ['-al', join(ROOT, 'node_modules'), join(target, 'node_modules')]);
  } catch {
    cpSync(join(ROOT, 'node_modules'), join(target, 'node_modules'), { recursive: true, verbatimSymlinks: true });
  }
  return target;
}
