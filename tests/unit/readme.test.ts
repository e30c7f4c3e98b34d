import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The README is for users: short, the two commands, links that lead somewhere, every setting named. */
const ROOT = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const readme = read('README.md');
const docs = readdirSync(join(ROOT, 'docs')).filter((name) => name.endsWith('.md')).map((name) => join('docs', name));

describe('the README', () => {
  it('is about 250 lines, the rest in docs/', () => {
    expect(readme.split('\n').length).toBeLessThanOrEqual(260);
    for (const doc of ['architecture.md', 'operations.md', 'performance.md', 'strapi-internals.md']) {
      expect(docs).toContain(join('docs', doc));
      expect(readme).toContain(`](docs/${doc}`);
    }
  });

  it('gives the two commands, each in a shell block of its own', () => {
    const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1].trim());
    expect(blocks).toContain('npm ci && ADMIN_EMAIL=admin@example.com ADMIN_PASSWORD=Admin-pass-1234 npm run demo');
    expect(blocks).toContain('npm ci && npm test');
  });

  it('is no engineering journal: no commit hashes', () => {
    expect(readme).not.toMatch(/\bcommit [0-9a-f]{7,40}\b|\([0-9a-f]{7}\)/);
  });

  it('every relative link, in the README and in docs/, leads to a file that exists', () => {
    const broken: string[] = [];
    for (const file of ['README.md', ...docs]) {
      for (const [, target] of read(file).matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:|^#/.test(target)) continue;
        const path = resolve(ROOT, dirname(file), target.split('#')[0]);
        if (!existsSync(path)) broken.push(`${file} → ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('names every setting of .env.example, and only npm scripts that exist', () => {
    const settings = [...read('.env.example').matchAll(/^#? ?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]);
    expect(settings.length).toBeGreaterThan(20);
    expect(settings.filter((name) => !readme.includes(name))).toEqual([]);
    const scripts = Object.keys((JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts);
    const named = [...readme.matchAll(/npm run ([a-z][a-z0-9:-]*)/g)].map((m) => m[1]);
    expect(named.filter((name) => !scripts.includes(name))).toEqual([]);
  });
});
