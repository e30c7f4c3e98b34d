import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { Client, type ClientConfig } from 'pg';
import { z } from 'zod';
import { cacheGate, responseCache } from './index';
import { invalidate, onLocalInvalidation, TAG_PERMISSIONS } from './invalidation';

const CHANNEL = 'news:cache:invalidate';
const PG_CHANNEL = 'news_cache_invalidate';
// PostgreSQL's NOTIFY payload limit is 8000 bytes: a larger purge is sent as "everything".
const PG_PAYLOAD_LIMIT = 7900;
const Message = z.object({ from: z.string(), tags: z.array(z.string().max(200)).max(10_000) });

/**
 * Carries cache invalidations between processes: every instance, and every short-lived writer
 * (`npm run import`), so that a write anywhere purges every cache.
 *
 * - With REDIS_URL: Redis pub/sub. It passes through a transaction-mode pooler (PgBouncer, most
 *   managed PostgreSQL offers), which LISTEN does not.
 * - Without it: PostgreSQL LISTEN/NOTIFY on the database every process already shares, over a
 *   connection of its own (so one instance with a separate importer needs nothing else).
 *
 * Neither replays what a disconnected listener missed: while its link is down a process neither
 * serves nor stores cached responses, and it empties its cache when the link is back.
 */
export abstract class ClusterBus {
  readonly instanceId = randomUUID();
  readonly transport: 'redis' | 'postgres';
  connected = false;
  private unsubscribeLocal: () => void = () => undefined;
  private readonly sending = new Set<Promise<unknown>>();

  protected constructor(transport: 'redis' | 'postgres', protected readonly log: (line: string) => void) {
    this.transport = transport;
  }

  abstract start(): Promise<void>;
  abstract ping(): Promise<boolean>;
  protected abstract send(payload: string): Promise<unknown>;
  protected abstract close(): Promise<void>;

  protected listen(): void {
    this.unsubscribeLocal = onLocalInvalidation((tags) => {
      const sent = this.send(this.encode(tags)).catch(() => {
        // Peers cannot hear of it: they drop their caches when their own link recovers; meanwhile
        // a failed send means the link is down for them too, and they are not caching.
      });
      this.sending.add(sent);
      void sent.finally(() => this.sending.delete(sent));
    });
  }

  protected encode(tags: string[]): string {
    return JSON.stringify({ from: this.instanceId, tags });
  }

  protected received(raw: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      return;
    }
    const message = Message.safeParse(parsed);
    if (message.success && message.data.from !== this.instanceId) invalidate(message.data.tags, true);
  }

  protected linkUp(): void {
    if (this.connected) return;
    responseCache.clear();
    this.connected = true;
    this.log(`cache invalidation bus connected (${this.transport === 'redis' ? 'Redis' : 'PostgreSQL LISTEN/NOTIFY'})`);
  }

  protected linkDown(): void {
    if (this.connected) this.log(`cache invalidation bus lost its ${this.transport === 'redis' ? 'Redis' : 'PostgreSQL'} link: caching paused until it is back`);
    this.connected = false;
    responseCache.clear();
  }

  async stop(): Promise<void> {
    this.unsubscribeLocal();
    // A short-lived writer (the importer) exits right after its commit: its purges go out first.
    await Promise.race([Promise.all([...this.sending]), new Promise((r) => setTimeout(r, 2000))]);
    await this.close();
  }
}

class RedisBus extends ClusterBus {
  private publisher: Redis;
  private subscriber: Redis;

  constructor(url: string, log: (line: string) => void) {
    super('redis', log);
    const options = { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000 };
    this.publisher = new Redis(url, options);
    this.subscriber = new Redis(url, { ...options, enableOfflineQueue: true });
    this.publisher.on('error', () => undefined);
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('ready', () => {
      this.subscriber.subscribe(CHANNEL).catch(() => undefined);
      this.linkUp();
    });
    this.subscriber.on('close', () => this.linkDown());
    this.subscriber.on('message', (_channel: string, raw: string) => this.received(raw));
    this.listen();
  }

  async start(): Promise<void> {
    await Promise.all([this.publisher.connect(), this.subscriber.connect()]);
    await this.subscriber.subscribe(CHANNEL);
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.publisher.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  protected send(payload: string): Promise<unknown> {
    return this.publisher.publish(CHANNEL, payload);
  }

  protected async close(): Promise<void> {
    this.publisher.disconnect();
    this.subscriber.disconnect();
  }
}

class PostgresBus extends ClusterBus {
  private listener: Client | null = null;
  private stopped = false;
  private retry: NodeJS.Timeout | null = null;

  constructor(private readonly config: ClientConfig, log: (line: string) => void) {
    super('postgres', log);
    this.listen();
  }

  async start(): Promise<void> {
    await this.connect();
  }

  private async connect(): Promise<void> {
    const client = new Client({ ...this.config, connectionTimeoutMillis: 3000 });
    client.on('error', () => undefined);
    client.on('end', () => {
      if (this.listener !== client) return;
      this.listener = null;
      this.linkDown();
      this.scheduleReconnect();
    });
    client.on('notification', (message) => {
      if (message.channel === PG_CHANNEL && message.payload) this.received(message.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${PG_CHANNEL}`);
    } catch (error) {
      void client.end().catch(() => undefined);
      this.scheduleReconnect();
      throw error;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.listener = client;
    this.linkUp();
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      this.connect().catch(() => undefined);
    }, 1000);
    this.retry.unref();
  }

  async ping(): Promise<boolean> {
    if (!this.listener) return false;
    try {
      await this.listener.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  protected encode(tags: string[]): string {
    const payload = super.encode(tags);
    return Buffer.byteLength(payload) <= PG_PAYLOAD_LIMIT ? payload : super.encode([TAG_PERMISSIONS]); // "everything"
  }

  protected async send(payload: string): Promise<unknown> {
    const client = this.listener;
    if (!client) throw new Error('not connected');
    return client.query('SELECT pg_notify($1, $2)', [PG_CHANNEL, payload]);
  }

  protected async close(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    const client = this.listener;
    this.listener = null;
    await client?.end().catch(() => undefined);
  }
}

let bus: ClusterBus | null = null;

export function clusterBus(): ClusterBus | null {
  return bus;
}

/** Redis when REDIS_URL is set, else PostgreSQL (the connection of this process's database). */
export async function startClusterBus(redisUrl: string | undefined, database: ClientConfig | undefined, log: (line: string) => void): Promise<void> {
  if (bus) return;
  if (redisUrl) bus = new RedisBus(redisUrl, log);
  else if (database) bus = new PostgresBus(database, log);
  else return;
  const started = bus;
  cacheGate.usable = () => started.connected;
  try {
    await bus.start();
  } catch (error) {
    log(`the cache invalidation bus is not reachable yet (${(error as Error).message}): caching paused until it is`);
  }
}

export async function stopClusterBus(): Promise<void> {
  await bus?.stop();
  bus = null;
  cacheGate.usable = () => true;
}
