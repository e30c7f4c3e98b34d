import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import type { Core } from '@strapi/strapi';

/**
 * Requests in flight, counted ahead of everything else, so a shutdown can wait for them.
 * While draining, answers carry `Connection: close` so keep-alive clients move to another
 * instance.
 */
export class RequestTracker {
  active = 0;
  draining = false;
  private idle: Array<() => void> = [];

  wrap(next: RequestListener): RequestListener {
    return (req: IncomingMessage, res: ServerResponse) => {
      this.active += 1;
      if (this.draining) res.setHeader('Connection', 'close');
      // 'close' follows every response, finished or aborted: one listener is enough.
      res.once('close', () => {
        this.active -= 1;
        if (this.active === 0 && this.idle.length > 0) for (const resolve of this.idle.splice(0)) resolve();
      });
      next(req, res);
    };
  }

  /** Resolves when no request is in flight, or after `timeoutMs`. Returns whether it drained. */
  whenIdle(timeoutMs: number): Promise<boolean> {
    if (this.active === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.idle.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}

export const requests = new RequestTracker();

export function installRequestTracker(server: Server): void {
  const [listener] = server.listeners('request') as RequestListener[];
  if (!listener) throw new Error('the HTTP server has no request listener to wrap');
  server.removeListener('request', listener);
  server.on('request', requests.wrap(listener));
}

/**
 * SIGTERM/SIGINT: stop accepting, let the requests in flight finish (up to SHUTDOWN_TIMEOUT),
 * then stop Strapi (which closes the pool). Strapi's own handler destroys open sockets at once,
 * failing whatever was in flight: it is replaced.
 */
export function installGracefulShutdown(strapi: Core.Strapi, timeoutSeconds: number): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    for (const listener of process.listeners(signal)) {
      if (listener.name === 'terminateStrapi') process.off(signal, listener);
    }
  }
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    strapi.log.info(`${signal}: draining ${requests.active} request(s) in flight, then stopping`);
    requests.draining = true;
    const server = strapi.server.httpServer;
    server.close();
    server.closeIdleConnections();
    const drained = await requests.whenIdle(timeoutSeconds * 1000);
    if (!drained) strapi.log.warn(`${requests.active} request(s) still running after ${timeoutSeconds}s: stopping anyway`);
    try {
      await strapi.destroy();
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}
