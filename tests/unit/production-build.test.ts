import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import ts from 'typescript';

/**
 * `NODE_ENV=production npm ci && npm run build` (what many deploy scripts run) installs no dev
 * dependencies: everything the server build (tsconfig.json, what `strapi build` compiles) imports
 * must come with the production install, its types included. Checked without reinstalling: the
 * server's imports against `npm ls --omit=dev`.
 */
const ROOT = join(__dirname, '..', '..');

function serverFiles(): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
  if (!config) throw new Error('tsconfig.json does not parse');
  return config.fileNames;
}

function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0])) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
}

function hasOwnTypes(name: string): boolean {
  const dir = join(ROOT, 'node_modules', name);
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { types?: string; typings?: string; exports?: unknown };
  return Boolean(manifest.types || manifest.typings || existsSync(join(dir, 'index.d.ts')) || JSON.stringify(manifest.exports ?? '').includes('"types"'));
}

describe('the server build needs only production dependencies', () => {
  const production = new Set(
    execFileSync('npm', ['ls', '--all', '--omit=dev', '--parseable'], { cwd: ROOT, encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map((path) => path.split('node_modules/').pop() as string)
  );

  it('tooling (bench, soak, test processes) is outside the server build', () => {
    const files = serverFiles().map((file) => file.slice(ROOT.length + 1));
    expect(files).toEqual(expect.arrayContaining(['scripts/launch.ts', 'scripts/serve.ts', 'src/index.ts']));
    expect(files.filter((file) => /scripts\/(bench|soak|lib\/)/.test(file) || file.startsWith('tests/'))).toEqual([]);
  });

  it('every package the server imports, and its types, come with a production install', () => {
    const missing = new Set<string>();
    for (const file of serverFiles()) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/(?:from\s+|import\(\s*|require\(\s*)['"]([^'"]+)['"]/g)) {
        const name = packageOf(match[1]);
        if (!name) continue;
        if (!production.has(name)) missing.add(`${name} (imported by ${file.slice(ROOT.length + 1)})`);
        else if (!hasOwnTypes(name) && !production.has(`@types/${name.replace('@', '').replace('/', '__')}`)) missing.add(`@types/${name} (for ${file.slice(ROOT.length + 1)})`);
      }
    }
    expect([...missing]).toEqual([]);
  });
});
