import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { Client, type ClientConfig } from 'pg';
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
export type SecretName = (typeof SECRET_NAMES)[number];

/**
 * Where the secrets the environment does not give are kept: in the database every instance
 * shares, so all instances, and every redeploy, sign and check with the same keys. Made before
 * Strapi boots (its config reads them), so this one table is not a Strapi migration.
 */
export const SECRETS_TABLE = 'news_service_secrets';

/** Its DDL (also run by a restore: a pre-boot table is not in the schema Strapi makes). */
export async function createSecretsTable(client: Pick<Client, 'query'>): Promise<void> {
  await client.query(
    `CREATE TABLE IF NOT EXISTS ${SECRETS_TABLE} (name text PRIMARY KEY, value text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`,
  );
}

const LegacyFile = z.record(z.string(), z.string());

function generate(name: SecretName): string {
  const one = () => randomBytes(24).toString('base64');
  return name === 'APP_KEYS' ? [one(), one(), one(), one()].join(',') : one();
}

/**
 * Fills the secrets Strapi needs that the environment does not give, so a first run needs no
 * setup: the environment wins; otherwise the values kept in the database; otherwise new random
 * values, stored there by the first instance to get there (concurrent first boots agree: the
 * insert keeps the first value and everyone reads it back). A `.tmp/secrets.json` left by an
 * earlier version is adopted once, so the API tokens and sessions made with it stay valid.
 * Returns the names it filled in.
 */
export async function fillMissingSecrets(
  env: NodeJS.ProcessEnv,
  database: ClientConfig,
  legacyFile?: string,
): Promise<SecretName[]> {
  const missing = SECRET_NAMES.filter((name) => !env[name]);
  if (missing.length === 0) return [];
  const legacy = legacyFile && existsSync(legacyFile) ? LegacyFile.safeParse(JSON.parse(readFileSync(legacyFile, 'utf8'))) : undefined;
  const candidates = missing.map((name) => (legacy?.success && legacy.data[name]) || generate(name));
  const client = new Client(database);
  client.on('error', () => undefined);
  await client.connect();
  try {
    // Instances booting at once: one at a time here (CREATE TABLE IF NOT EXISTS races otherwise).
    await client.query('BEGIN');
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('${SECRETS_TABLE}'))`);
    await createSecretsTable(client);
    await client.query(
      `INSERT INTO ${SECRETS_TABLE} (name, value) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT (name) DO NOTHING`,
      [missing, candidates],
    );
    const { rows } = await client.query<{ name: string; value: string }>(`SELECT name, value FROM ${SECRETS_TABLE} WHERE name = ANY($1::text[])`, [missing]);
    const kept = new Map(rows.map((row) => [row.name, row.value]));
    for (const name of missing) {
      const value = kept.get(name);
      if (!value) throw new Error(`secret ${name} could not be stored in ${SECRETS_TABLE}`);
      env[name] = value;
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end().catch(() => undefined);
  }
  return missing;
}

/** The one warning a deployer sees when the secrets come from the database, not the environment. */
export function secretsWarning(names: readonly string[]): string {
  return (
    `warning: ${names.join(', ')} not set in the environment: using the values kept in the database ` +
    `(table ${SECRETS_TABLE}), shared by every instance on it; set them in the environment (or a secret store) to manage them yourself`
  );
}
