import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { EnvSchema } from '../../src/env';
import { SECRET_NAMES } from '../../src/runtime/secrets';

const ROOT = join(__dirname, '..', '..');
const read = (name: string) => readFileSync(join(ROOT, name), 'utf8');

interface Service {
  image?: string;
  build?: unknown;
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  restart?: string;
  volumes?: string[];
}

describe('docker-compose.yml (no Docker engine here: checked by construction)', () => {
  const compose = parse(read('docker-compose.yml')) as { services: Record<string, Service>; volumes: Record<string, unknown> };

  it('has postgres 16 with a volume and a healthcheck', () => {
    const postgres = compose.services.postgres;
    expect(postgres.image).toBe('postgres:16');
    expect(postgres.healthcheck?.test.join(' ')).toContain('pg_isready');
    const volume = postgres.volumes?.[0].split(':')[0];
    expect(volume && compose.volumes).toHaveProperty(volume as string);
  });

  it('builds the app from the Dockerfile, after a healthy database, restarting', () => {
    const app = compose.services.app;
    expect(app.build).toBe('.');
    expect(app.depends_on?.postgres.condition).toBe('service_healthy');
    expect(app.restart).toMatch(/always|unless-stopped|on-failure/);
    expect(app.ports).toContain('127.0.0.1:1337:1337'); // readers come through the edge
    expect(read('Dockerfile')).toMatch(/scripts\/cli\.js", "start"/);
  });

  it('has Redis for the cache invalidation bus, and the app points at it', () => {
    expect(compose.services.redis.image).toMatch(/^redis:/);
    expect(compose.services.app.depends_on?.redis.condition).toBe('service_healthy');
    expect(new URL(compose.services.app.environment?.REDIS_URL ?? '').hostname).toBe('redis');
  });

  it('does not publish PostgreSQL beyond loopback, and takes its password from the environment', () => {
    const postgres = compose.services.postgres;
    for (const port of postgres.ports ?? []) expect(port).toMatch(/^127\.0\.0\.1:/);
    expect(postgres.environment?.POSTGRES_PASSWORD).toMatch(/^\$\{POSTGRES_PASSWORD:\?/);
    expect(read('docker-compose.yml')).not.toMatch(/news:news@/);
  });

  it('passes only variables the app reads, and a DATABASE_URL that points at the postgres service', () => {
    const app = compose.services.app;
    const env = app.environment ?? {};
    const known = new Set<string>([...Object.keys(EnvSchema.shape), ...SECRET_NAMES]);
    for (const name of Object.keys(env)) expect(known).toContain(name);
    // As compose interpolates: ${NAME:?…} and ${NAME:-…} become the variable's value.
    const interpolate = (value: string) => value.replace(/\$\{([A-Z_]+)[^}]*\}/g, (_m, name: string) => `sample-${name.toLowerCase()}`);
    const url = new URL(interpolate(env.DATABASE_URL));
    const db = Object.fromEntries(Object.entries(compose.services.postgres.environment ?? {}).map(([k, v]) => [k, interpolate(v)]));
    expect(url.hostname).toBe('postgres');
    expect(url.username).toBe(db.POSTGRES_USER);
    expect(decodeURIComponent(url.password)).toBe(db.POSTGRES_PASSWORD);
    expect(url.pathname).toBe(`/${db.POSTGRES_DB}`);
    expect(EnvSchema.safeParse({ DATABASE_URL: interpolate(env.DATABASE_URL) }).success).toBe(true);
  });

  it('puts the edge (Varnish + xkey, the project VCL) in front of the app, publishing the public port; the app purges it', () => {
    const edge = compose.services.edge as Service & { build?: string };
    const app = compose.services.app as Service & { networks?: { default?: { ipv4_address?: string } } };
    expect(edge.build).toBe('deploy/varnish');
    expect(read('deploy/varnish/Dockerfile')).toMatch(/apt-get install[^\n]*varnish varnish-modules/);
    expect(edge.volumes).toContain('./deploy/varnish/default.vcl:/etc/varnish/default.vcl:ro');
    const listen = /-a :(\d+)/.exec(read('deploy/varnish/Dockerfile'))?.[1];
    expect(edge.ports?.some((port) => port.endsWith(`:${listen}`))).toBe(true);
    expect(edge.depends_on?.app).toBeDefined();
    // The app is no longer the public port: loopback only.
    for (const port of app.ports ?? []) expect(port).toMatch(/^127\.0\.0\.1:/);
    // It purges the edge service on the port the edge listens on.
    const purge = new URL(app.environment?.EDGE_PURGE_URLS ?? '');
    expect([purge.hostname, purge.port || '80']).toEqual(['edge', listen]);
    expect(EnvSchema.safeParse({ EDGE_PURGE_URLS: app.environment?.EDGE_PURGE_URLS }).success).toBe(true);
    // The VCL's backend is the app's service name and port, and its PURGE ACL names the app.
    const vcl = read('deploy/varnish/default.vcl');
    expect(vcl).toMatch(/\.host = "app";/);
    expect(vcl).toMatch(new RegExp(`\\.port = "${app.environment?.PORT}";`));
    expect(vcl).toMatch(/acl purgers \{[^}]*\("app"\);/);
    // The app's fixed address is on the compose network's subnet (a recreated app keeps it).
    const subnet = (compose as unknown as { networks: { default: { ipam: { config: Array<{ subnet: string }> } } } }).networks.default.ipam.config[0].subnet;
    expect(app.networks?.default?.ipv4_address?.startsWith(subnet.replace(/\.0\/24$/, '.'))).toBe(true);
  });

  it('declares the Node it is built and tested on (this one) in engines, the lockfile and the Dockerfile, and says so', () => {
    const major = Number(process.versions.node.split('.')[0]);
    const { engines } = JSON.parse(read('package.json')) as { engines: { node: string } };
    const [, min, max] = /^>=(\d+)\.\d+\.\d+ <(\d+)$/.exec(engines.node) ?? [];
    expect(Number(min)).toBe(major);
    expect(Number(max)).toBe(major + 1);
    const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { engines?: { node?: string } }> };
    expect(lock.packages[''].engines?.node).toBe(engines.node);
    expect(read('Dockerfile')).toMatch(new RegExp(`^FROM node:${major}-`, 'm'));
    // The README names it, and that CI does not build the image.
    expect(read('README.md')).toMatch(new RegExp(`Node ${major}`));
    expect(read('README.md')).toMatch(/CI does not (build|run)[^.]*Dockerfile|Dockerfile[^.]*not (built|run)[^.]*CI/i);
  });

  it('no test script hides leaked handles: jest exits by itself (no --forceExit)', () => {
    const { scripts } = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    const jest = Object.entries(scripts).filter(([, command]) => /\bjest\b/.test(command));
    expect(jest.map(([name]) => name)).toEqual(expect.arrayContaining(['test', 'test:cluster', 'test:e2e']));
    expect(jest.filter(([, command]) => command.includes('forceExit'))).toEqual([]);
    expect(read('.ci/run')).not.toContain('forceExit');
  });

  it('.env.example documents every variable the app reads, and nothing else', () => {
    const example = read('.env.example');
    const known = [...Object.keys(EnvSchema.shape), ...SECRET_NAMES];
    for (const name of known) expect(example).toMatch(new RegExp(`^#? ?${name}=`, 'm'));
    const documented = [...example.matchAll(/^#? ?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]);
    expect(documented.filter((name) => !known.includes(name))).toEqual([]);
  });

  it('the app and its config read the environment through the one schema (no process.env, no Strapi env())', () => {
    const { readdirSync, statSync } = jest.requireActual<typeof import('node:fs')>('node:fs');
    const files = (dir: string): string[] =>
      readdirSync(join(ROOT, dir)).flatMap((name) => {
        const path = join(dir, name);
        return statSync(join(ROOT, path)).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
      });
    const offenders = [...files('src'), ...files('config')]
      .filter((file) => file !== join('src', 'env.ts') && !file.startsWith(join('src', 'admin')))
      .filter((file) => /process\.env\.[A-Z]|process\.env\[|\benv\((['"])|env\.(bool|int|array|float|json)\(/.test(read(file)));
    expect(offenders).toEqual([]);
  });
});
