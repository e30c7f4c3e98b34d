import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** The cluster tests run the compiled app in child processes: compile it once per run. */
export default async function compile(): Promise<void> {
  const root = join(__dirname, '..', '..');
  execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
}
