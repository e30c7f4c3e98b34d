import { z } from 'zod';

/**
 * What a backup archive says of itself (`manifest.json`, its first entry): which code and schema
 * made it, every table's columns, row count and checksum, the sequences, where the secrets were,
 * and the uploaded files. A restore reads nothing else until this has parsed and every checksum
 * in it has matched.
 */
export const ARCHIVE_FORMAT = 'news-service-backup';
export const ARCHIVE_VERSION = 1;

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const Identifier = z.string().min(1).max(63);
// Paths inside the archive: relative, no `..`, no backslash or NUL (a hostile archive writes nowhere else).
const MemberPath = z
  .string()
  .min(1)
  .max(1024)
  .refine((path) => !path.startsWith('/') && !path.split('/').some((part) => part === '..' || part === '' || part === '.') && !/[\\\0]/.test(path), 'not a safe relative path');

export const TableEntry = z.object({
  schema: Identifier,
  name: Identifier,
  columns: z.array(Identifier).min(1),
  rows: z.number().int().nonnegative(),
  file: MemberPath,
  bytes: z.number().int().nonnegative(),
  sha256: Sha256,
});
export type TableEntry = z.infer<typeof TableEntry>;

export const SequenceEntry = z.object({
  schema: Identifier,
  name: Identifier,
  /** null: never used (the next value is its start). */
  value: z.union([z.string().regex(/^-?\d+$/), z.null()]),
});
export type SequenceEntry = z.infer<typeof SequenceEntry>;

export const UploadEntry = z.object({ path: MemberPath, bytes: z.number().int().nonnegative(), sha256: Sha256 });
export type UploadEntry = z.infer<typeof UploadEntry>;

export const Manifest = z.object({
  format: z.literal(ARCHIVE_FORMAT),
  version: z.number().int().positive(),
  createdAt: z.string().datetime(),
  code: z.object({
    service: z.string(),
    strapi: z.string().regex(/^\d+\.\d+\.\d+/),
    /** pg-boss's schema version (its `version` table). */
    pgBossSchema: z.number().int().nonnegative(),
  }),
  database: z.object({ server: z.string(), name: z.string() }),
  /** Strapi's `strapi_migrations` (this project's database/migrations) and its internal ones. */
  migrations: z.object({ project: z.array(z.string()), internal: z.array(z.string()) }),
  tables: z.array(TableEntry),
  sequences: z.array(SequenceEntry),
  secrets: z.object({
    /** Kept in the database (`news_service_secrets`): they come back with it. */
    inDatabase: z.array(z.string()),
    /** Given by the first installation's environment: not in the archive; set them again. */
    fromEnvironment: z.array(z.string()),
  }),
  uploads: z.object({
    provider: z.enum(['local', 'aws-s3']),
    files: z.array(UploadEntry),
    bytes: z.number().int().nonnegative(),
  }),
});
export type Manifest = z.infer<typeof Manifest>;

export interface CodeVersions {
  service: string;
  strapi: string;
  pgBossSchema: number;
  /** The files in this checkout's database/migrations. */
  projectMigrations: readonly string[];
}

export class ArchiveError extends Error {}

/** The manifest's text, parsed and checked, or one line that says what is wrong with it. */
export function parseManifest(text: string): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ArchiveError('its manifest.json is not JSON: not a news-service backup, or a damaged one');
  }
  const format = z.object({ format: z.literal(ARCHIVE_FORMAT), version: z.number() }).safeParse(json);
  if (!format.success) throw new ArchiveError('its manifest.json is not a news-service backup manifest');
  if (format.data.version > ARCHIVE_VERSION) {
    throw new ArchiveError(`it is in backup format ${format.data.version}; this code reads format ${ARCHIVE_VERSION}: restore it with the newer version of the service that made it`);
  }
  const parsed = Manifest.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ArchiveError(`its manifest.json is damaged (${issue?.path.join('.') || 'root'}: ${issue?.message ?? 'invalid'})`);
  }
  return parsed.data;
}

function compareVersions(a: string, b: string): number {
  const parts = (v: string) => (/^(\d+)\.(\d+)\.(\d+)/.exec(v) ?? []).slice(1).map(Number);
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < 3; i += 1) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

/**
 * Why this code must not restore the archive, or null: a schema newer than this code's (a
 * migration this checkout does not have, a newer Strapi, a newer pg-boss schema). An older
 * archive is fine: what it lacks, the next start migrates as it would have.
 */
export function newerSchemaReason(manifest: Manifest, code: CodeVersions): string | null {
  const known = new Set(code.projectMigrations);
  const unknown = manifest.migrations.project.filter((name) => !known.has(name));
  if (unknown.length > 0) {
    return `it was made by a newer version of the service (migration ${unknown.join(', ')} is not in this checkout's database/migrations): restore it with that version`;
  }
  if (compareVersions(manifest.code.strapi, code.strapi) > 0) {
    return `it was made with Strapi ${manifest.code.strapi}, newer than this code's ${code.strapi}: restore it with that version`;
  }
  if (manifest.code.pgBossSchema > code.pgBossSchema) {
    return `its job queue has pg-boss schema ${manifest.code.pgBossSchema}, newer than this code's ${code.pgBossSchema}: restore it with the version that made it`;
  }
  return null;
}
