import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { z } from 'zod';
import { cacheGate, responseCache } from './index';
import { invalidate, onLocalInvalidation } from './invalidation';

const CHANNEL = 'news:cache:invalidate';
const Message = z.object({ from: z.string(), tags: z.array(z.string().max(200)).max(1000) });

/**
 * Carries cache invalidations between instances over Redis pub/sub (REDIS_URL). Chosen over
 * PostgreSQL LISTEN/NOTIFY because LISTEN needs a session of its own on every instance and does
 * not pass through a transaction-mode pooler (PgBouncer, most managed PostgreSQL offers), while
 * Redis is the usual companion of a scaled-out web tier.
 *
 * Pub/sub does not replay what a disconnected subscriber missed: while the link is down this
 * instance neither serves nor stores cached responses, and it empties its cache when the link
 * is back.
 */
export class ClusterBus {
  readonly instanceId = randomUUID();
  private publisher: Redis;
  private subscriber: Redis;
  private unsubscribeLocal: () => void;
  private readonly sending = new Set<Promise<unknown>>();
  connected = false;

  constructor(url: string, private readonly log: (line: string) => void) {
    const options = { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000 };
    this.publisher = new Redis(url, options);
    this.subscriber = new Redis(url, { ...options, enableOfflineQueue: true });
    this.publisher.on('error', () => undefined);
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('ready', () => {
      this.subscriber.subscribe(CHANNEL).catch(() => undefined);
      if (!this.connected) {
        responseCache.clear();
        this.connected = true;
        this.log('cache invalidation bus connected (Redis)');
      }
    });
    this.subscriber.on('close', () => {
      if (this.connected) this.log('cache invalidation bus lost Redis: caching paused until it is back');
      this.connected = false;
      responseCache.clear();
    });
    this.subscriber.on('message', (_channel: string, raw: string) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch {
        return;
      }
      const message = Message.safeParse(parsed);
      if (message.success && message.data.from !== this.instanceId) invalidate(message.data.tags, true);
    });
    this.unsubscribeLocal = onLocalInvalidation((tags) => {
      const sent = this.publisher.publish(CHANNEL, JSON.stringify({ from: this.instanceId, tags })).catch(() => {
        // Peers cannot hear of it: they drop their caches when their own link recovers; meanwhile
        // a failed publish means Redis is down for them too, and they are not caching.
      });
      this.sending.add(sent);
      void sent.finally(() => this.sending.delete(sent));
    });
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

  async stop(): Promise<void> {
    this.unsubscribeLocal();
    // A short-lived writer (the importer) exits right after its commit: its purges go out first.
    await Promise.race([Promise.all([...this.sending]), new Promise((r) => setTimeout(r, 2000))]);
    this.publisher.disconnect();
    this.subscriber.disconnect();
  }
}

let bus: ClusterBus | null = null;

export function clusterBus(): ClusterBus | null {
  return bus;
}

export async function startClusterBus(url: string | undefined, log: (line: string) => void): Promise<void> {
  if (!url || bus) return;
  bus = new ClusterBus(url, log);
  const started = bus;
  cacheGate.usable = () => started.connected;
  try {
    await bus.start();
  } catch (error) {
    log(`Redis at REDIS_URL is not reachable yet (${(error as Error).message}): caching paused until it is`);
  }
}

export async function stopClusterBus(): Promise<void> {
  await bus?.stop();
  bus = null;
  cacheGate.usable = () => true;
}
