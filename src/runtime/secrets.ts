import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';

export const SECRET_NAMES = [
  'APP_KEYS',
  'API_TOKEN_SALT',
  'ADMIN_JWT_SECRET',
  'TRANSFER_TOKEN_SALT',
  'JWT_SECRET',
  'ENCRYPTION_KEY',
  'PREVIEW_SECRET',
] as const;

const SecretsFile = z.record(z.string(), z.string());

function generate(name: (typeof SECRET_NAMES)[number]): string {
  const one = () => randomBytes(24).toString('base64');
  return name === 'APP_KEYS' ? [one(), one(), one(), one()].join(',') : one();
}

/**
 * Fills the secrets Strapi needs that the environment does not give, from a file kept outside git
 * (made once with random values), so a newcomer's first run needs no setup and sessions survive
 * restarts. Returns the names it filled in.
 */
export function fillMissingSecrets(env: NodeJS.ProcessEnv, file: string): string[] {
  const missing = SECRET_NAMES.filter((name) => !env[name]);
  if (missing.length === 0) return [];
  const stored = existsSync(file) ? SecretsFile.parse(JSON.parse(readFileSync(file, 'utf8'))) : {};
  let changed = false;
  for (const name of missing) {
    if (!stored[name]) {
      stored[name] = generate(name);
      changed = true;
    }
    env[name] = stored[name];
  }
  if (changed) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(stored, null, 2), { mode: 0o600 });
  }
  return missing;
}
