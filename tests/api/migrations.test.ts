import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { createTestDatabase, dropTestDatabase } from '../helpers/database';

/**
 * The service's own tables are Strapi migrations (database/migrations): an upgrade is a file to
 * review, run once per database, never DDL at every boot.
 */
const ROOT = join(__dirname, '..', '..');
const MIGRATIONS = join(ROOT, 'database', 'migrations');
const OWN_TABLES = [
  'article_read_model',
  'article_read_model_state',
  'article_search_drafts',
  'article_schedules',
  'article_slug_history',
  'edge_purge_outbox',
  'article_edit_presence',
  'article_edit_leases',
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') || entry.name.endsWith('.tsx') ? [join(dir, entry.name)] : []
  );
}

describe('the service tables as migrations', () => {
  it('no code run at boot creates or alters a table of its own (only the secrets table, read before Strapi boots)', () => {
    const ddl = sourceFiles(join(ROOT, 'src'))
      .filter((file) => /\b(CREATE (TABLE|INDEX|UNIQUE INDEX|EXTENSION)|ALTER TABLE)\b/.test(readFileSync(file, 'utf8')))
      .map((file) => file.slice(ROOT.length + 1));
    expect(ddl).toEqual(['src/runtime/secrets.ts']);
  });

  it("the migration makes every table on an empty database, and again finds its work done (a database from before it: the boot's DDL had made them)", async () => {
    const database = await createTestDatabase();
    const knex: Knex = knexFactory({ client: 'pg', connection: database.url, pool: { min: 0, max: 2 } });
    try {
      const files = readdirSync(MIGRATIONS).filter((name) => name.endsWith('.js')).sort();
      expect(files).toContain('2026.12.02T00.00.00.service-tables.js');
      const migration = require(join(MIGRATIONS, '2026.12.02T00.00.00.service-tables.js')) as { up(knex: Knex): Promise<void> };
      await knex.transaction((trx) => migration.up(trx));
      const tables = async () =>
        ((await knex('information_schema.tables').where({ table_schema: 'public' }).whereIn('table_name', OWN_TABLES).select('table_name')) as Array<{ table_name: string }>).map((r) => r.table_name).sort();
      expect(await tables()).toEqual([...OWN_TABLES].sort());
      await knex('article_read_model').insert({ document_id: 'd1', locale: 'en', json: '{}', tags: ['doc:d1'] });
      await knex.transaction((trx) => migration.up(trx));
      expect(await tables()).toEqual([...OWN_TABLES].sort());
      expect(await knex('article_read_model').count({ n: '*' })).toEqual([{ n: '1' }]);
    } finally {
      await knex.destroy();
      await dropTestDatabase(database.name);
    }
  });
});
