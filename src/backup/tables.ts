import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import type { Client } from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { ArchiveError, type SequenceEntry, type TableEntry } from './manifest';

/**
 * The database half of a backup: every table of the service's schemas copied out in one
 * consistent snapshot (`COPY … TO STDOUT` in a REPEATABLE READ transaction, as pg_dump does), and
 * copied back into the schema that this code makes. PostgreSQL's own COPY text format keeps every
 * type exact (timestamps, jsonb, tsvector, arrays) and runs on any server version, the embedded
 * one included, with no client binaries to match it.
 */
export const BACKED_UP_SCHEMAS = ['public', 'pgboss'] as const;

/**
 * Both sessions (the copy out and the copy in) read and write values in one fixed text form, as
 * pg_dump does: a database whose DateStyle is `SQL, DMY` would otherwise turn 2026-03-12 into
 * 2026-12-03 on the way back.
 */
export async function fixTextFormats(client: Query): Promise<void> {
  await client.query(`SET datestyle = ISO; SET intervalstyle = postgres; SET extra_float_digits = 3; SET client_encoding = 'UTF8'; SET timezone = 'UTC'`);
}

/** Kept as the restoring code's boot wrote them: the schema's own bookkeeping. */
export const KEPT_ON_RESTORE: ReadonlySet<string> = new Set(['public.strapi_database_schema', 'pgboss.version']);

/**
 * Left out of an archive: one machine's moment (who has an article open, edit leases, purges
 * addressed to the old installation's edge) and the schema's own bookkeeping, which the restoring
 * code writes for the schema it made (Strapi's schema snapshot, pg-boss's schema version).
 */
export const NOT_ARCHIVED: ReadonlySet<string> = new Set([
  'public.article_edit_presence',
  'public.article_edit_leases',
  'public.edge_purge_outbox',
  'public.strapi_database_schema',
  'pgboss.version',
]);

export const qualified = (schema: string, name: string) => `${quote(schema)}.${quote(name)}`;
const quote = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`;
const key = (schema: string, name: string) => `${schema}.${name}`;

export interface TableInfo {
  schema: string;
  name: string;
  columns: string[];
}

type Query = Pick<Client, 'query'>;

/** The tables of the service's schemas (partitions stand under their parent), with their columns. */
export async function listTables(client: Query): Promise<TableInfo[]> {
  const { rows } = await client.query<{ schema: string; name: string; columns: string[] }>(
    `SELECT n.nspname AS schema, c.relname AS name,
            array(SELECT a.attname::text FROM pg_attribute a
                  WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
                  ORDER BY a.attnum) AS columns
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p') AND NOT c.relispartition
        -- An extension's own tables (PostGIS's spatial_ref_sys…) belong to the extension, not to us.
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
      ORDER BY n.nspname, c.relname`,
    [BACKED_UP_SCHEMAS],
  );
  return rows;
}

/** Foreign keys between the tables, as [referencing, referenced] (a partition's as its parent's). */
async function foreignKeys(client: Query): Promise<Array<[string, string]>> {
  const { rows } = await client.query<{ child: string; parent: string }>(
    `WITH RECURSIVE root(oid, top) AS (
       SELECT c.oid, c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = ANY($1) AND NOT c.relispartition
       UNION ALL
       SELECT i.inhrelid, root.top FROM pg_inherits i JOIN root ON i.inhparent = root.oid
     ),
     named AS (
       SELECT root.oid, n.nspname || '.' || c.relname AS name
         FROM root JOIN pg_class c ON c.oid = root.top JOIN pg_namespace n ON n.oid = c.relnamespace
     )
     SELECT DISTINCT a.name AS child, b.name AS parent
       FROM pg_constraint k JOIN named a ON a.oid = k.conrelid JOIN named b ON b.oid = k.confrelid
      WHERE k.contype = 'f'`,
    [BACKED_UP_SCHEMAS],
  );
  return rows.map((row) => [row.child, row.parent]);
}

/**
 * The order to load tables in: every table after the tables it references (a reference to itself
 * is checked at the end of its one COPY). A cycle between tables cannot be loaded with the keys on.
 */
export function loadOrder(tables: readonly string[], references: ReadonlyArray<readonly [string, string]>): string[] {
  const present = new Set(tables);
  const needs = new Map(tables.map((table) => [table, new Set<string>()]));
  for (const [child, parent] of references) {
    if (child !== parent && present.has(child) && present.has(parent)) needs.get(child)?.add(parent);
  }
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (table: string, path: string[]) => {
    if (state.get(table) === 'done') return;
    if (state.get(table) === 'visiting') throw new ArchiveError(`tables reference each other in a cycle (${[...path, table].join(' → ')}): they cannot be loaded one after the other`);
    state.set(table, 'visiting');
    for (const parent of [...(needs.get(table) ?? [])].sort()) visit(parent, [...path, table]);
    state.set(table, 'done');
    order.push(table);
  };
  for (const table of [...tables].sort()) visit(table, []);
  return order;
}

interface SequenceRow {
  schema: string;
  name: string;
  value: string | null;
  owner_schema: string | null;
  owner_name: string | null;
}

async function listSequences(client: Query): Promise<SequenceRow[]> {
  const { rows } = await client.query<SequenceRow>(
    `SELECT s.schemaname AS schema, s.sequencename AS name, s.last_value::text AS value,
            tn.nspname AS owner_schema, t.relname AS owner_name
       FROM pg_sequences s
       JOIN pg_namespace sn ON sn.nspname = s.schemaname
       JOIN pg_class sc ON sc.relnamespace = sn.oid AND sc.relname = s.sequencename
       LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = sc.oid
                            AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
       LEFT JOIN pg_class t ON t.oid = d.refobjid
       LEFT JOIN pg_namespace tn ON tn.oid = t.relnamespace
      WHERE s.schemaname = ANY($1)
      ORDER BY 1, 2`,
    [BACKED_UP_SCHEMAS],
  );
  return rows;
}

/** Counts lines (rows, in COPY's text format, where a newline inside a value is written `\n`). */
function lineCounter(): Transform & { lines: number } {
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) counter.lines += 1;
      done(null, chunk);
    },
  }) as Transform & { lines: number };
  counter.lines = 0;
  return counter;
}

function digest(): Transform & { sha256(): string; bytes: number } {
  const hash = createHash('sha256');
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      stream.bytes += chunk.length;
      done(null, chunk);
    },
  }) as Transform & { sha256(): string; bytes: number };
  stream.bytes = 0;
  stream.sha256 = () => hash.digest('hex');
  return stream;
}

export interface Snapshot {
  tables: TableEntry[];
  sequences: SequenceEntry[];
  /** Read in the same snapshot: names of `strapi_migrations` and `strapi_migrations_internal`, pg-boss's schema. */
  migrations: { project: string[]; internal: string[] };
  pgBossSchema: number;
  secretsInDatabase: string[];
  server: string;
}

async function optionalColumn(client: Query, sql: string): Promise<string[]> {
  try {
    await client.query('SAVEPOINT probe');
    const { rows } = await client.query<{ value: string }>(sql);
    await client.query('RELEASE SAVEPOINT probe');
    return rows.map((row) => String(row.value));
  } catch (error) {
    if ((error as { code?: string }).code !== '42P01') throw error; // undefined_table: none kept
    await client.query('ROLLBACK TO SAVEPOINT probe');
    return [];
  }
}

/**
 * Copies every table out into `dir/data/` (gzip, COPY text format), all in one snapshot: a write
 * that commits meanwhile is either wholly in the archive or not at all. Other sessions go on
 * reading and writing; only a change of a table's definition waits (ACCESS SHARE locks).
 */
export async function dumpTables(client: Client, dir: string, progress: (line: string) => void = () => undefined): Promise<Snapshot> {
  await fixTextFormats(client);
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    const tables = (await listTables(client)).filter((table) => !NOT_ARCHIVED.has(key(table.schema, table.name)));
    if (!tables.some((table) => table.schema === 'public' && table.name === 'strapi_migrations')) {
      throw new ArchiveError('the database holds no news service (no strapi_migrations table): nothing to back up');
    }
    if (tables.length > 0) await client.query(`LOCK TABLE ${tables.map((t) => qualified(t.schema, t.name)).join(', ')} IN ACCESS SHARE MODE`);
    const server = (await client.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version ?? 'unknown';
    const entries: TableEntry[] = [];
    for (const [index, table] of tables.entries()) {
      const file = `data/${String(index + 1).padStart(4, '0')}-${`${table.schema}.${table.name}`.replace(/[^A-Za-z0-9_.-]/g, '_')}.tsv.gz`;
      const columns = table.columns.map(quote).join(', ');
      const rows = lineCounter();
      const sum = digest();
      await pipeline(
        client.query(copyTo(`COPY (SELECT ${columns} FROM ${qualified(table.schema, table.name)}) TO STDOUT`)),
        rows,
        createGzip({ level: 6 }),
        sum,
        createWriteStream(join(dir, file), { mode: 0o600 }),
      );
      entries.push({ schema: table.schema, name: table.name, columns: table.columns, rows: rows.lines, file, bytes: sum.bytes, sha256: sum.sha256() });
      progress(`${table.schema}.${table.name}: ${rows.lines} rows`);
    }
    const sequences = (await listSequences(client))
      .filter((row) => !(row.owner_schema && row.owner_name && NOT_ARCHIVED.has(key(row.owner_schema, row.owner_name))))
      .map((row) => ({ schema: row.schema, name: row.name, value: row.value }));
    const project = await optionalColumn(client, 'SELECT name AS value FROM strapi_migrations ORDER BY name');
    const internal = await optionalColumn(client, 'SELECT name AS value FROM strapi_migrations_internal ORDER BY name');
    const pgBoss = await optionalColumn(client, 'SELECT version AS value FROM pgboss.version');
    const secretsInDatabase = await optionalColumn(client, 'SELECT name AS value FROM news_service_secrets ORDER BY name');
    await client.query('COMMIT');
    return { tables: entries, sequences, migrations: { project, internal }, pgBossSchema: Number(pgBoss[0] ?? 0), secretsInDatabase, server };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** Tables of the service's schemas in this database (0: empty, a restore may go ahead). */
export async function countTables(client: Query): Promise<number> {
  return (await listTables(client)).length;
}

/** Other sessions on this database (a running instance): a restore under them would mix two states. */
export async function otherSessions(client: Query): Promise<{ count: number; names: string }> {
  const { rows } = await client.query<{ count: number; names: string | null }>(
    `SELECT count(*)::int AS count, string_agg(DISTINCT NULLIF(application_name, ''), ', ') AS names
       FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
  );
  return { count: rows[0]?.count ?? 0, names: rows[0]?.names ?? '' };
}

/** `--force`: everything of the service's schemas dropped, in one transaction. */
export async function dropServiceSchemas(client: Query): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('DROP SCHEMA IF EXISTS pgboss CASCADE');
    const tables = (await listTables(client)).filter((table) => table.schema === 'public');
    if (tables.length > 0) await client.query(`DROP TABLE IF EXISTS ${tables.map((t) => qualified(t.schema, t.name)).join(', ')} CASCADE`);
    // Views and sequences left in public, but not an extension's own (pg_stat_statements' views).
    const { rows: rest } = await client.query<{ name: string; kind: string }>(
      `SELECT c.relname AS name, c.relkind::text AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('v', 'm', 'S')
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')`
    );
    const views = rest.filter((row) => row.kind === 'v').map((row) => qualified('public', row.name));
    const materialized = rest.filter((row) => row.kind === 'm').map((row) => qualified('public', row.name));
    const sequences = rest.filter((row) => row.kind === 'S').map((row) => qualified('public', row.name));
    if (views.length > 0) await client.query(`DROP VIEW IF EXISTS ${views.join(', ')} CASCADE`);
    if (materialized.length > 0) await client.query(`DROP MATERIALIZED VIEW IF EXISTS ${materialized.join(', ')} CASCADE`);
    if (sequences.length > 0) await client.query(`DROP SEQUENCE IF EXISTS ${sequences.join(', ')} CASCADE`);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * What in the archive this database's schema has no place for: whole tables (not the service's:
 * another application's in the same schema, left out of the restore with a warning) and columns
 * of the service's tables (data a restore would lose: refused).
 */
export function schemaGaps(archived: readonly TableEntry[], target: readonly TableInfo[]): { tables: string[]; columns: string[] } {
  const columns = new Map(target.map((table) => [key(table.schema, table.name), new Set(table.columns)]));
  const gaps = { tables: [] as string[], columns: [] as string[] };
  for (const table of archived) {
    const have = columns.get(key(table.schema, table.name));
    if (!have) gaps.tables.push(key(table.schema, table.name));
    else for (const column of table.columns) if (!have.has(column)) gaps.columns.push(`${key(table.schema, table.name)}.${column}`);
  }
  return gaps;
}

/**
 * Loads the archive's tables into this database's (in the caller's transaction): the archived
 * tables emptied, then each copied in, referenced tables first, every row count checked against
 * the manifest; the sequences set to where they stood.
 */
export async function loadTables(client: Client, dir: string, tables: readonly TableEntry[], sequences: readonly SequenceEntry[], progress: (line: string) => void = () => undefined): Promise<number> {
  const byName = new Map(tables.map((table) => [key(table.schema, table.name), table]));
  // Every table the boot filled is emptied, not only the archived ones: a table this code has and
  // the archive lacks (a newer version's) starts empty, as its migration would have left it, and
  // its references to archived tables do not stand in the way.
  const emptied = (await listTables(client)).filter((table) => !KEPT_ON_RESTORE.has(key(table.schema, table.name)));
  if (emptied.length > 0) {
    await client.query(`TRUNCATE ${emptied.map((t) => qualified(t.schema, t.name)).join(', ')} RESTART IDENTITY`);
  }
  let total = 0;
  for (const name of loadOrder([...byName.keys()], await foreignKeys(client))) {
    const table = byName.get(name) as TableEntry;
    const copy = client.query(copyFrom(`COPY ${qualified(table.schema, table.name)} (${table.columns.map(quote).join(', ')}) FROM STDIN`));
    await pipeline(createReadStream(join(dir, table.file)), createGunzip(), copy);
    if (copy.rowCount !== table.rows) {
      throw new ArchiveError(`${name}: ${copy.rowCount} rows loaded, the manifest says ${table.rows}: the archive is damaged`);
    }
    total += table.rows;
    progress(`${name}: ${table.rows} rows`);
  }
  const existing = new Set((await listSequences(client)).map((row) => key(row.schema, row.name)));
  for (const sequence of sequences) {
    if (!existing.has(key(sequence.schema, sequence.name))) continue;
    const name = qualified(sequence.schema, sequence.name);
    if (sequence.value === null) await client.query(`SELECT setval($1::regclass, (SELECT seqstart FROM pg_sequence WHERE seqrelid = $1::regclass), false)`, [name]);
    else await client.query('SELECT setval($1::regclass, $2::bigint, true)', [name, sequence.value]);
  }
  return total;
}
