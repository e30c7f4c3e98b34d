import { ARCHIVE_FORMAT, ArchiveError, newerSchemaReason, parseManifest, type Manifest } from '../../src/backup/manifest';
import { loadOrder, schemaGaps } from '../../src/backup/tables';

const SUM = 'a'.repeat(64);

function manifest(change: (m: Manifest) => void = () => undefined): Manifest {
  const m: Manifest = {
    format: ARCHIVE_FORMAT,
    version: 1,
    createdAt: '2026-12-03T09:00:00.000Z',
    code: { service: '0.1.0', strapi: '5.54.0', pgBossSchema: 24 },
    database: { server: '17.6', name: 'news' },
    migrations: { project: ['2026.11.30T00.00.00.first-publish-date.js'], internal: [] },
    tables: [{ schema: 'public', name: 'articles', columns: ['id', 'headline'], rows: 2, file: 'data/0001-public.articles.tsv.gz', bytes: 10, sha256: SUM }],
    sequences: [{ schema: 'public', name: 'articles_id_seq', value: '2' }],
    secrets: { inDatabase: ['APP_KEYS'], fromEnvironment: [] },
    uploads: { provider: 'local', files: [{ path: 'photo.jpg', bytes: 3, sha256: SUM }], bytes: 3 },
  };
  change(m);
  return m;
}

const code = { service: '0.1.0', strapi: '5.54.0', pgBossSchema: 24, projectMigrations: ['2026.11.30T00.00.00.first-publish-date.js', '2026.12.02T00.00.00.service-tables.js'] };

describe('the load order of tables', () => {
  it('puts every table after the tables it references; a reference to itself does not count', () => {
    const order = loadOrder(['public.links', 'public.articles', 'public.admin_users', 'pgboss.job', 'pgboss.queue'], [
      ['public.links', 'public.articles'],
      ['public.articles', 'public.admin_users'],
      ['public.admin_users', 'public.admin_users'],
      ['pgboss.job', 'pgboss.queue'],
      ['pgboss.queue', 'pgboss.queue'],
      ['public.links', 'public.not_archived'],
    ]);
    expect(order).toHaveLength(5);
    const at = (table: string) => order.indexOf(table);
    expect(at('public.admin_users')).toBeLessThan(at('public.articles'));
    expect(at('public.articles')).toBeLessThan(at('public.links'));
    expect(at('pgboss.queue')).toBeLessThan(at('pgboss.job'));
  });

  it('refuses tables that reference each other in a cycle, naming it', () => {
    expect(() => loadOrder(['a', 'b', 'c'], [['a', 'b'], ['b', 'c'], ['c', 'a']])).toThrow(/cycle \(a → b → c → a\)/);
  });
});

describe('which archives this code restores', () => {
  it('the same or an older schema: yes', () => {
    expect(newerSchemaReason(manifest(), code)).toBeNull();
    expect(newerSchemaReason(manifest((m) => (m.code.strapi = '5.40.2')), code)).toBeNull();
    expect(newerSchemaReason(manifest((m) => (m.migrations.project = [])), code)).toBeNull();
  });

  it('a migration this checkout lacks, a newer Strapi or a newer pg-boss schema: no, saying which', () => {
    expect(newerSchemaReason(manifest((m) => m.migrations.project.push('2027.01.01T00.00.00.next.js')), code)).toMatch(/migration 2027\.01\.01T00\.00\.00\.next\.js is not in this checkout/);
    expect(newerSchemaReason(manifest((m) => (m.code.strapi = '5.55.0')), code)).toMatch(/Strapi 5\.55\.0, newer than this code's 5\.54\.0/);
    expect(newerSchemaReason(manifest((m) => (m.code.strapi = '5.54.10')), code)).toMatch(/newer/);
    expect(newerSchemaReason(manifest((m) => (m.code.pgBossSchema = 25)), code)).toMatch(/pg-boss schema 25/);
  });

  it('a column or table the schema lacks is named (a column\'s data would be lost; a table is not the service\'s)', () => {
    const target = [{ schema: 'public', name: 'articles', columns: ['id'] }];
    expect(schemaGaps(manifest().tables, target)).toEqual({ tables: [], columns: ['public.articles.headline'] });
    expect(schemaGaps(manifest().tables, [])).toEqual({ tables: ['public.articles'], columns: [] });
    expect(schemaGaps(manifest().tables, [{ schema: 'public', name: 'articles', columns: ['id', 'headline', 'slug'] }])).toEqual({ tables: [], columns: [] });
  });
});

describe('reading a manifest', () => {
  const text = (m: unknown) => JSON.stringify(m);

  it('takes a good one', () => {
    expect(parseManifest(text(manifest()))).toEqual(manifest());
  });

  it.each([
    ['not JSON', '{"format": ', /not JSON/],
    ['another program\'s manifest', text({ name: 'x', version: 1 }), /not a news-service backup manifest/],
    ['a newer format', text({ ...manifest(), version: 2 }), /backup format 2; this code reads format 1/],
    ['a member path that climbs out', text(manifest((m) => (m.tables[0].file = '../../etc/cron.d/x'))), /tables\.0\.file: not a safe relative path/],
    ['an absolute upload path', text(manifest((m) => (m.uploads.files[0].path = '/root/.ssh/authorized_keys'))), /uploads\.files\.0\.path/],
    ['a checksum that is not one', text(manifest((m) => (m.tables[0].sha256 = 'abc'))), /tables\.0\.sha256/],
    ['an identifier past PostgreSQL\'s 63 bytes', text(manifest((m) => (m.tables[0].name = 'x'.repeat(64)))), /tables\.0\.name/],
  ])('refuses %s with one line', (_name, input, message) => {
    expect(() => parseManifest(input)).toThrow(ArchiveError);
    expect(() => parseManifest(input)).toThrow(message);
  });
});
