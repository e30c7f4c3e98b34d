#!/usr/bin/env node
'use strict';
// The one JavaScript file: it runs before the TypeScript is compiled. It builds the app when the
// build is missing or older than its sources, then hands over to the compiled launcher.
const { spawnSync } = require('node:child_process');
const { existsSync, readdirSync, statSync, writeFileSync } = require('node:fs');
const { join, resolve } = require('node:path');

const root = resolve(__dirname, '..');
const dist = join(root, 'dist');
const stamp = join(dist, '.build-stamp');
const SOURCES = ['src', 'config', 'scripts', 'database', 'types', 'package.json', 'tsconfig.json'];

// Files only: Strapi itself creates folders (database/migrations) at run time.
// The front-end's types (npm run client:types) are generated from the app, not built into it.
const NOT_BUILT = new Set([join(root, 'types', 'public-api.d.ts')]);

function newest(path) {
  if (!existsSync(path) || NOT_BUILT.has(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((max, name) => Math.max(max, newest(join(path, name))), 0);
}

function buildIfStale() {
  const built = existsSync(stamp) && existsSync(join(dist, 'build', 'index.html')) ? statSync(stamp).mtimeMs : 0;
  const sources = Math.max(...SOURCES.map((name) => newest(join(root, name))));
  if (built >= sources) return;
  console.log('[news] building the app (first run or sources changed)…');
  const result = spawnSync(join(root, 'node_modules', '.bin', 'strapi'), ['build'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, STRAPI_TELEMETRY_DISABLED: 'true' },
  });
  if (result.status !== 0) {
    console.error('[news] build failed');
    process.exit(result.status ?? 1);
  }
  writeFileSync(stamp, new Date().toISOString());
}

process.env.STRAPI_TELEMETRY_DISABLED = 'true';
// `npm run strapi -- build` builds by itself.
const strapiBuild = process.argv[2] === 'strapi' && process.argv[3] === 'build';
if (process.env.NEWS_SKIP_BUILD !== 'true' && !strapiBuild) buildIfStale();
require(join(dist, 'scripts', 'launch.js'))
  .main(process.argv.slice(2))
  .then((code) => process.exit(code), (error) => {
    console.error(`[news] ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
