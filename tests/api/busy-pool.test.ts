import { startApp, type TestApp } from '../helpers/strapi';

/**
 * A busy pool is load, not an outage: when every connection is taken (here the only one, held by
 * a slow query), a request that cannot get one in time answers 503 "busy", and the next request
 * once a connection is free is served: the breaker stays closed.
 */
let app: TestApp;

beforeAll(async () => {
  // A one-connection pool must still boot on two busy cores: a second of wait for a connection.
  app = await startApp({ env: { DATABASE_POOL_MAX: '1', DATABASE_ACQUIRE_TIMEOUT: '1000', CACHE_ENABLED: 'false' } });
});
afterAll(async () => {
  await app?.stop();
});

it('a request that finds the pool busy gets 503 "busy"; the breaker does not open', async () => {
  expect((await fetch(`${app.baseUrl}/api/articles`)).status).toBe(200);
  // knex runs a query when it is awaited: `then` starts it now.
  // Held for longer than a request waits for it (1 s), with margin either side.
  const held = app.strapi.db.connection.raw('SELECT pg_sleep(3)').then(() => undefined);
  await new Promise((r) => setTimeout(r, 200));
  const busy = await fetch(`${app.baseUrl}/api/articles`);
  expect(busy.status).toBe(503);
  expect(busy.headers.get('retry-after')).toBe('1');
  expect(((await busy.json()) as { error: { message: string } }).error.message).toMatch(/busy/);
  await held;
  // Right after: a closed breaker serves it (an open one would answer 503 for a while).
  expect((await fetch(`${app.baseUrl}/api/articles`)).status).toBe(200);
  expect((await fetch(`${app.baseUrl}/_ready`)).status).toBe(200);
});
