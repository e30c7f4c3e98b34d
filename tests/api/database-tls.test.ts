import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { databaseClientConfig, databaseConnection, readEnv } from '../../src/env';
import { settledDatabaseUrl, waitForDatabase } from '../../src/runtime/wait-for-database';
import { removeEmbeddedCluster, startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/runtime/embedded-postgres';

/**
 * sslmode in DATABASE_URL, honoured as libpq honours it, against a real PostgreSQL serving TLS
 * with a certificate made for this test: signed by its own CA, naming `db.internal` (not the
 * address connected to), so each mode's check shows.
 */
let dir: string;
let database: EmbeddedDatabase;
let plainServer: EmbeddedDatabase;
let ca: string;
let hbaFile: string;
const HBA_ANY = 'local all all trust\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n';
const HBA_TLS_ONLY = 'local all all trust\nhostssl all all 127.0.0.1/32 trust\nhostssl all all ::1/128 trust\n';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'news-tls-'));
  chmodSync(dir, 0o755); // the postgres user reads the certificate and key from here
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=News Test CA');
  run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=db.internal');
  run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2');
  ca = join(dir, 'ca.pem');
  chmodSync(join(dir, 'server.key'), 0o600);
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
    chownSync(join(dir, 'server.key'), uid, gid);
  }
  hbaFile = join(dir, 'pg_hba.conf');
  writeFileSync(hbaFile, HBA_ANY, { mode: 0o644 });
  database = await startEmbeddedPostgres({
    dataDir: join(dir, 'cluster'),
    database: 'tls',
    settings: { ssl: 'on', ssl_cert_file: join(dir, 'server.pem'), ssl_key_file: join(dir, 'server.key'), hba_file: hbaFile },
  });
  plainServer = await startEmbeddedPostgres({ dataDir: join(dir, 'plain'), database: 'plain' });
}, 120_000);

afterAll(async () => {
  await database?.stop();
  await plainServer?.stop();
  removeEmbeddedCluster(join(dir, 'cluster'));
  removeEmbeddedCluster(join(dir, 'plain'));
  rmSync(dir, { recursive: true, force: true });
});

/** Connects as the service would with this sslmode (and CA); says whether the session is encrypted. */
async function connect(sslmode: string, withCa: boolean): Promise<'encrypted' | 'plain'> {
  const url = new URL(database.url);
  url.searchParams.set('sslmode', sslmode);
  const config = databaseClientConfig(readEnv({ DATABASE_URL: url.toString(), ...(withCa ? { DATABASE_SSL_CA: ca } : {}) }));
  const client = new Client({ ...config, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
    return rows[0].ssl ? 'encrypted' : 'plain';
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * As the launcher connects: its first connection settles what prefer/allow take on this server,
 * then every client connects with the settled DATABASE_URL.
 */
async function connectAsLauncher(server: EmbeddedDatabase, sslmode: string): Promise<'encrypted' | 'plain'> {
  const url = new URL(server.url);
  url.searchParams.set('sslmode', sslmode);
  const connection = databaseConnection(readEnv({ DATABASE_URL: url.toString() }));
  if (!connection) throw new Error('no connection');
  const taken = await waitForDatabase(connection, 10, () => undefined);
  const config = databaseClientConfig(readEnv({ DATABASE_URL: settledDatabaseUrl(url.toString(), taken) }));
  const client = new Client({ ...config, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
    return rows[0].ssl ? 'encrypted' : 'plain';
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function reloadHba(server: EmbeddedDatabase, rules: string): Promise<void> {
  writeFileSync(hbaFile, rules);
  const client = new Client({ connectionString: server.url, ssl: { rejectUnauthorized: false } });
  await client.connect();
  try {
    await client.query('SELECT pg_reload_conf()');
  } finally {
    await client.end();
  }
  await new Promise((resolve) => setTimeout(resolve, 300));
}

describe('prefer and allow fall back as libpq does', () => {
  it('prefer: TLS when the server offers it; plaintext from a server without TLS', async () => {
    expect(await connectAsLauncher(database, 'prefer')).toBe('encrypted');
    expect(await connectAsLauncher(plainServer, 'prefer')).toBe('plain');
  });

  it('allow: plaintext when the server takes it; TLS when the server accepts only TLS', async () => {
    expect(await connectAsLauncher(database, 'allow')).toBe('plain');
    await reloadHba(database, HBA_TLS_ONLY);
    try {
      await expect(connect('disable', false)).rejects.toThrow(/no encryption/);
      expect(await connectAsLauncher(database, 'allow')).toBe('encrypted');
    } finally {
      await reloadHba(database, HBA_ANY);
    }
  });

  it('without the launcher, prefer still asks for TLS first', async () => {
    expect(await connect('prefer', false)).toBe('encrypted');
  });
});

describe('sslmode, as libpq', () => {
  it('disable: no TLS', async () => {
    expect(await connect('disable', false)).toBe('plain');
  });

  it('require: encrypted, the certificate not checked', async () => {
    expect(await connect('require', false)).toBe('encrypted');
  });

  it('verify-ca: refused without the CA that signed it; with it, encrypted (the name is not checked)', async () => {
    await expect(connect('verify-ca', false)).rejects.toThrow(/self[- ]signed|unable to (get|verify)/i);
    expect(await connect('verify-ca', true)).toBe('encrypted');
  });

  it('verify-full: refused without the CA, and with it when the certificate names another host', async () => {
    await expect(connect('verify-full', false)).rejects.toThrow(/self[- ]signed|unable to (get|verify)/i);
    await expect(connect('verify-full', true)).rejects.toThrow(/Hostname\/IP does not match|altnames|does not match certificate/i);
  });

  it('an unknown sslmode, or a CA file that cannot be read, is one clear line', () => {
    expect(() => databaseClientConfig(readEnv({ DATABASE_URL: 'postgres://u@h/db?sslmode=sometimes' }))).toThrow(/^invalid environment: DATABASE_URL sslmode must be one of/);
    expect(() => databaseClientConfig(readEnv({ DATABASE_URL: 'postgres://u@h/db?sslmode=verify-full', DATABASE_SSL_CA: '/no/such/ca.pem' }))).toThrow(/^invalid environment: DATABASE_SSL_CA cannot be read/);
  });
});
