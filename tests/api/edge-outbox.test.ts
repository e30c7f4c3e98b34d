import knexFactory, { type Knex } from 'knex';
import { EDGE_OUTBOX_TABLE, PurgeOutbox } from '../../src/edge/outbox';
import { PurgeError, type Purger, type PurgeRequest } from '../../src/edge/purger';
import { createTestDatabase, dropTestDatabase } from '../helpers/database';

/**
 * The purge outbox on a real PostgreSQL: rows written in the write's transaction (and only if it
 * commits), delivered in batches to each target (and once more a moment later), retried until
 * acknowledged, never lost when the writer dies, never sent by two processes at once, a failing
 * target holding up no other.
 * The targets here record what they receive (Varnish itself is in tests/cluster/edge*.test.ts).
 */
class RecordingPurger implements Purger {
  readonly received: PurgeRequest[] = [];
  failWith: PurgeError | null = null;
  calls = 0;
  delayMs = 0;

  constructor(readonly id: string) {}

  async purge(request: PurgeRequest): Promise<void> {
    this.calls += 1;
    if (this.delayMs) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    if (this.failWith) throw this.failWith;
    this.received.push({ keys: [...request.keys].sort(), hard: request.hard });
  }

  keys(hard?: boolean): string[] {
    return this.received.filter((r) => hard === undefined || r.hard === hard).flatMap((r) => r.keys).sort();
  }
}

const quiet = () => undefined;
const until = async (check: () => boolean | Promise<boolean>, ms = 5000) => {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe('the purge outbox (PostgreSQL)', () => {
  let database: { name: string; url: string };
  let knex: Knex;
  const opened: PurgeOutbox[] = [];
  const outbox = (purgers: Purger[], options: ConstructorParameters<typeof PurgeOutbox>[3] = {}) => {
    // The second delivery only where a test asks for it (it would double what the others count).
    const made = new PurgeOutbox(knex, purgers, quiet, { pollMs: 100, retryMs: [50, 200], repeatMs: 60_000, ...options });
    opened.push(made);
    return made;
  };
  const unsentRows = async () => Number((await knex(EDGE_OUTBOX_TABLE).whereNull('sent_at').count<{ count: string }[]>({ count: '*' }))[0].count);
  const pendingRows = async (target?: string) =>
    Number((await knex(EDGE_OUTBOX_TABLE).where(target ? { target } : {}).count<{ count: string }[]>({ count: '*' }))[0].count);

  beforeAll(async () => {
    database = await createTestDatabase();
    knex = knexFactory({ client: 'pg', connection: database.url, pool: { min: 0, max: 6 } });
    // The service's tables as a deployment gets them: its migration.
    const migration = require('../../database/migrations/2026.12.02T00.00.00.service-tables.js') as { up(knex: unknown): Promise<void> };
    await migration.up(knex);
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((o) => o.stop(0)));
    await knex(EDGE_OUTBOX_TABLE).delete();
  });

  afterAll(async () => {
    await knex?.destroy();
    if (database) await dropTestDatabase(database.name);
  });

  it('writes in the write’s transaction: a rolled-back write purges nothing, a committed one purges every target', async () => {
    const varnish = new RecordingPurger('varnish:a');
    const cdn = new RecordingPurger('fastly:b');
    const box = outbox([varnish, cdn]);
    await knex
      .transaction(async (trx) => {
        await box.enqueue(trx, ['doc:rolled-back'], false);
        throw new Error('the write fails');
      })
      .catch(() => undefined);
    await knex.transaction((trx) => box.enqueue(trx, ['doc:x', 'list:article'], false));
    box.wake();
    await until(() => varnish.received.length > 0 && cdn.received.length > 0);
    for (const target of [varnish, cdn]) expect(target.received).toEqual([{ keys: ['doc:x', 'list:article'], hard: false }]);
    await until(async () => (await unsentRows()) === 0);
  });

  it('batches rows into one purge per kind; a key both hard and soft goes hard only', async () => {
    const varnish = new RecordingPurger('varnish:a');
    const box = outbox([varnish]);
    await knex.transaction(async (trx) => {
      await box.enqueue(trx, ['doc:1', 'list:article'], false);
      await box.enqueue(trx, ['doc:2', 'list:article'], false);
      await box.enqueue(trx, ['doc:2', 'list:article'], true);
    });
    box.wake();
    await until(() => varnish.received.length === 2);
    expect(varnish.received).toEqual([
      { keys: ['doc:2', 'list:article'], hard: true },
      { keys: ['doc:1'], hard: false },
    ]);
  });

  it('retries a target that is down with backoff until it acknowledges; the other target is not held up', async () => {
    const down = new RecordingPurger('varnish:down');
    const up = new RecordingPurger('varnish:up');
    down.failWith = new PurgeError('connection refused');
    const box = outbox([down, up]);
    box.start();
    await knex.transaction((trx) => box.enqueue(trx, ['doc:late'], true));
    box.wake();
    await until(() => up.received.length === 1);
    await until(() => down.calls >= 3);
    expect(down.received).toEqual([]);
    expect(await pendingRows('varnish:down')).toBe(1); // kept until that target acknowledges
    down.failWith = null;
    await until(() => down.received.length === 1, 3000);
    expect(down.received).toEqual([{ keys: ['doc:late'], hard: true }]);
    await until(async () => (await unsentRows()) === 0);
  });

  it('waits as long as a target asks (Retry-After)', async () => {
    const cdn = new RecordingPurger('cloudflare:z');
    cdn.failWith = new PurgeError('429', 600);
    const box = outbox([cdn]);
    await knex.transaction((trx) => box.enqueue(trx, ['doc:limited'], true));
    const started = Date.now();
    box.wake();
    await until(() => cdn.calls === 1);
    cdn.failWith = null;
    box.start();
    await until(() => cdn.received.length === 1, 3000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(550);
  });

  it('a writer that dies before delivering loses nothing: another process delivers its rows', async () => {
    const writersTarget = new RecordingPurger('varnish:a');
    writersTarget.failWith = new PurgeError('unreachable from the writer');
    const writer = outbox([writersTarget]);
    await knex.transaction((trx) => writer.enqueue(trx, ['doc:orphan'], false));
    writer.wake();
    await until(() => writersTarget.calls >= 1);
    await writer.stop(0); // the writer is gone; its row is in the table
    expect(await pendingRows()).toBe(1);
    const survivorsTarget = new RecordingPurger('varnish:a');
    outbox([survivorsTarget]).start();
    await until(() => survivorsTarget.received.length === 1);
    expect(survivorsTarget.received).toEqual([{ keys: ['doc:orphan'], hard: false }]);
  });

  it('two processes never send the same row at once (SKIP LOCKED): together, each row exactly twice (at once, then the repeat)', async () => {
    const first = new RecordingPurger('varnish:a');
    const second = new RecordingPurger('varnish:a');
    first.delayMs = 30;
    second.delayMs = 30;
    const one = outbox([first], { batchRows: 5, repeatMs: 100 });
    const two = outbox([second], { batchRows: 5, repeatMs: 100 });
    await knex.transaction(async (trx) => {
      for (let i = 0; i < 40; i += 1) await one.enqueue(trx, [`doc:${i}`], false);
    });
    one.start();
    two.start();
    await until(async () => (await pendingRows()) === 0);
    const counts = new Map<string, number>();
    for (const key of [...first.keys(), ...second.keys()]) counts.set(key, (counts.get(key) ?? 0) + 1);
    expect(counts.size).toBe(40);
    expect([...new Set(counts.values())]).toEqual([2]);
  });

  it('delivers each row a second time, repeatMs after the first: a copy fetched while the first purge ran goes too', async () => {
    const varnish = new RecordingPurger('varnish:a');
    const times: number[] = [];
    const purge = varnish.purge.bind(varnish);
    varnish.purge = async (request) => {
      times.push(Date.now());
      return purge(request);
    };
    const box = outbox([varnish], { repeatMs: 400 });
    await knex.transaction((trx) => box.enqueue(trx, ['doc:twice'], false));
    box.wake();
    await until(async () => (await pendingRows()) === 0, 3000);
    expect(varnish.received).toEqual([
      { keys: ['doc:twice'], hard: false },
      { keys: ['doc:twice'], hard: false },
    ]);
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(400);
  });

  it("keeps a delivery within a rate-limited target's share of keys, and delivers the rest next", async () => {
    const cdn = Object.assign(new RecordingPurger('cloudflare:z'), { keysPerDelivery: 3 });
    const box = outbox([cdn]);
    await knex.transaction(async (trx) => {
      for (const n of [1, 2, 3]) await box.enqueue(trx, [`doc:${n}a`, `doc:${n}b`], true);
    });
    box.wake();
    await until(() => cdn.received.length === 3);
    expect(cdn.received.map((r) => r.keys.length)).toEqual([2, 2, 2]);
    expect(cdn.keys()).toEqual(['doc:1a', 'doc:1b', 'doc:2a', 'doc:2b', 'doc:3a', 'doc:3b']);
  });

  it('writes nothing when no target is configured', async () => {
    const box = outbox([]);
    await knex.transaction((trx) => box.enqueue(trx, ['doc:nowhere'], false));
    expect(await pendingRows()).toBe(0);
  });

  it('stop() delivers what is pending before a command exits', async () => {
    const varnish = new RecordingPurger('varnish:a');
    const box = outbox([varnish]);
    await knex.transaction((trx) => box.enqueue(trx, ['doc:before-exit'], false));
    await box.stop(2000);
    expect(varnish.received).toEqual([{ keys: ['doc:before-exit'], hard: false }]);
  });
});
