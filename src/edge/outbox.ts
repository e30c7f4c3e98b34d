import type { Knex } from 'knex';
import { PurgeError, type Purger } from './purger';

/**
 * The edge's purges, durable: the keys of a write go into `edge_purge_outbox` in the write's own
 * transaction (they commit or roll back with it), one row per target. Any process then delivers
 * them: the one that wrote at once after the commit, every server on a short poll (a crashed
 * writer's rows, an edge that was down). Rows are taken with `FOR UPDATE SKIP LOCKED`, so two
 * instances never send the same row at once, and deleted only once the target has acknowledged;
 * a failed or slow target (a CDN's rate limit) is retried with backoff without holding up the
 * others, whose rows are their own.
 *
 * Each row is delivered twice: at once, and again `repeatMs` later. A purge skips the copies an
 * edge is still fetching (Varnish's xkey does), and a fetch that read the origin before the
 * commit may finish just after the purge and store the old text; the second purge removes it.
 */
export const EDGE_OUTBOX_TABLE = 'edge_purge_outbox';

// Its table: database/migrations/2026.12.02T00.00.00.service-tables.js.

export interface OutboxOptions {
  /** How often a server looks for rows nobody delivered (a crashed writer's, a target that was down). */
  pollMs: number;
  /** Rows taken in one delivery. */
  batchRows: number;
  /** Backoff after a failed delivery: doubles from the first value up to the second. */
  retryMs: readonly [number, number];
  /** Rows older than this are dropped undelivered: every copy they could purge has expired. */
  retentionSeconds: number;
  /** The second delivery, this long after the first (past the fetches under way at the first). */
  repeatMs: number;
}

const DEFAULTS: OutboxOptions = { pollMs: 1000, batchRows: 100, retryMs: [100, 2000], retentionSeconds: 8 * 86_400, repeatMs: 2000 };

interface Lane {
  purger: Purger;
  running: Promise<void> | null;
  again: boolean;
  failures: number;
  retryAt: number;
}

export class PurgeOutbox {
  private readonly lanes: Lane[];
  private readonly options: OutboxOptions;
  private poller: NodeJS.Timeout | null = null;
  private stopped = false;
  private lastCleanup = 0;

  constructor(
    private readonly knex: Knex,
    purgers: readonly Purger[],
    private readonly log: (line: string) => void,
    options: Partial<OutboxOptions> = {}
  ) {
    this.options = { ...DEFAULTS, ...options };
    this.lanes = purgers.map((purger) => ({ purger, running: null, again: false, failures: 0, retryAt: 0 }));
  }

  get targets(): string[] {
    return this.lanes.map((lane) => lane.purger.id);
  }

  /** In the write's transaction: the keys it purges, for every target. */
  async enqueue(trx: Knex.Transaction, keys: readonly string[], hard: boolean): Promise<void> {
    if (keys.length === 0 || this.lanes.length === 0) return;
    await trx.raw(`INSERT INTO ${EDGE_OUTBOX_TABLE} (target, keys, hard) SELECT unnest(?::text[]), ?::text[], ?`, [this.targets, [...keys], hard]);
  }

  /** After a commit: deliver now (each target that is not waiting out a failure). */
  wake(): void {
    for (const lane of this.lanes) if (Date.now() >= lane.retryAt) void this.run(lane);
  }

  /** A server's poll: rows left by others, and targets that failed before. */
  start(): void {
    if (this.poller || this.lanes.length === 0) return;
    this.poller = setInterval(() => {
      this.wake();
      void this.cleanup();
    }, this.options.pollMs);
    this.poller.unref();
    this.wake();
  }

  /**
   * Delivers what is pending now and waits for it, `deadlineMs` at most: true when every target
   * acknowledged. (What fails stays in the table for the retries and the poll.)
   */
  async flush(deadlineMs: number): Promise<boolean> {
    const all = Promise.all(this.lanes.map((lane) => this.run(lane))).then(() => this.lanes.every((lane) => lane.failures === 0));
    return Promise.race([all, sleep(deadlineMs).then(() => false)]);
  }

  /**
   * Delivers what is pending, for `deadlineMs` at most (a command that wrote, before it exits;
   * a server shutting down), then stops. What is left stays for the other processes.
   */
  async stop(deadlineMs: number): Promise<void> {
    if (this.poller) clearInterval(this.poller);
    this.poller = null;
    const flush = Promise.all(this.lanes.map((lane) => (lane.failures === 0 ? this.run(lane) : lane.running)));
    await Promise.race([flush, sleep(deadlineMs)]);
    this.stopped = true;
    await Promise.race([Promise.all(this.lanes.map((lane) => lane.running)), sleep(1000)]);
  }

  private run(lane: Lane): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (lane.running) {
      lane.again = true; // a row may have committed after the running delivery looked
      return lane.running;
    }
    const running = (async () => {
      do {
        lane.again = false;
        while (!this.stopped && (await this.deliverBatch(lane.purger))) {
          // a full batch: there may be more
        }
      } while (lane.again && !this.stopped);
    })().then(
      () => {
        if (lane.failures > 0) this.log(`edge purges to ${lane.purger.id} delivered again`);
        lane.failures = 0;
        lane.retryAt = 0;
      },
      (error: unknown) => {
        lane.failures += 1;
        const [first, most] = this.options.retryMs;
        const backoff = Math.min(most, first * 2 ** (lane.failures - 1));
        const wait = error instanceof PurgeError && error.retryAfterMs !== undefined ? Math.max(error.retryAfterMs, backoff) : backoff;
        lane.retryAt = Date.now() + wait;
        if (lane.failures === 1) this.log(`edge purges to ${lane.purger.id} failed (${(error as Error).message}): retrying with backoff, nothing is lost`);
        if (!this.stopped) setTimeout(() => void this.run(lane), wait).unref();
      }
    );
    lane.running = running;
    void running.finally(() => {
      if (lane.running === running) lane.running = null;
    });
    return running;
  }

  /** One batch of rows to one target, in a transaction that holds them; true when the batch was full. */
  private deliverBatch(purger: Purger): Promise<boolean> {
    return this.knex.transaction(async (trx) => {
      const result = (await trx.raw(
        `SELECT id, keys, hard, sent_at IS NOT NULL AS sent FROM ${EDGE_OUTBOX_TABLE}
          WHERE target = ? AND (sent_at IS NULL OR sent_at <= now() - make_interval(secs => ?))
          ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED`,
        [purger.id, this.options.repeatMs / 1000, this.options.batchRows]
      )) as { rows: Array<{ id: string; keys: string[]; hard: boolean; sent: boolean }> };
      if (result.rows.length === 0) return false;
      // Rows up to the target's share of keys (always one); the rest, unlocked, in the next delivery.
      const rows: typeof result.rows = [];
      const seen = new Set<string>();
      for (const row of result.rows) {
        if (rows.length > 0 && seen.size + row.keys.length > (purger.keysPerDelivery ?? 5000)) break;
        rows.push(row);
        for (const key of row.keys) seen.add(key);
      }
      const hard = new Set(rows.filter((row) => row.hard).flatMap((row) => row.keys));
      const soft = new Set(rows.filter((row) => !row.hard).flatMap((row) => row.keys).filter((key) => !hard.has(key)));
      if (hard.size > 0) await purger.purge({ keys: [...hard], hard: true });
      if (soft.size > 0) await purger.purge({ keys: [...soft], hard: false });
      const first = rows.filter((row) => !row.sent).map((row) => row.id);
      await trx.raw(`UPDATE ${EDGE_OUTBOX_TABLE} SET sent_at = now() WHERE id = ANY(?::bigint[])`, [first]);
      await trx.raw(`DELETE FROM ${EDGE_OUTBOX_TABLE} WHERE id = ANY(?::bigint[])`, [rows.filter((row) => row.sent).map((row) => row.id)]);
      if (first.length > 0) this.repeatLater(purger);
      return rows.length < result.rows.length || rows.length === this.options.batchRows;
    });
  }

  /** The second delivery of what was just sent, on time (the poll would find it too). */
  private repeatLater(purger: Purger): void {
    const lane = this.lanes.find((candidate) => candidate.purger === purger);
    if (!lane || this.stopped) return;
    setTimeout(() => void this.run(lane), this.options.repeatMs + 50).unref();
  }

  /** Rows no process could deliver (a target since removed from the configuration) end here. */
  private async cleanup(): Promise<void> {
    if (Date.now() - this.lastCleanup < 60_000) return;
    this.lastCleanup = Date.now();
    try {
      const result = (await this.knex.raw(`DELETE FROM ${EDGE_OUTBOX_TABLE} WHERE created_at < now() - make_interval(secs => ?)`, [this.options.retentionSeconds])) as {
        rowCount?: number;
      };
      if (result.rowCount) this.log(`edge purges: ${result.rowCount} undelivered purges older than ${this.options.retentionSeconds} s dropped (their copies have expired)`);
    } catch {
      // the database is away: the next poll tries again
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)).unref());
}
