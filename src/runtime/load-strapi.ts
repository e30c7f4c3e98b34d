import { join } from 'node:path';
import { createStrapi, type Core } from '@strapi/strapi';
import { runningAsCommand } from '../scheduling';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * createStrapi without the signal handlers it installs: they destroy the app and exit at once,
 * dropping open connections, and in the launcher (which loads Strapi to seed, then runs the
 * server as a child) they would exit past the launcher's own shutdown (which stops the embedded
 * database after the server). The caller handles signals. Found by identity, not by name.
 */
export function createStrapiApp(root: string): Core.Strapi {
  const ours = processListeners();
  const app = createStrapi({ appDir: root, distDir: join(root, 'dist') });
  for (const signal of SIGNALS) {
    const known = new Set<unknown>(ours.get(signal));
    for (const listener of process.listeners(signal)) if (!known.has(listener)) process.off(signal, listener);
  }
  listenersBefore.set(app, ours);
  return app;
}

type Listener = (...args: unknown[]) => void;
const listenersBefore = new WeakMap<Core.Strapi, Map<string | symbol, Listener[]>>();

function processListeners(): Map<string | symbol, Listener[]> {
  return new Map(process.eventNames().map((name) => [name, process.listeners(name as 'exit') as Listener[]]));
}

/**
 * Loads the compiled app in this process (bootstrap included) without opening a port: a command
 * (seed, import), which makes scheduled jobs but leaves running them to the servers.
 */
export async function loadStrapi(root: string): Promise<Core.Strapi> {
  runningAsCommand();
  return createStrapiApp(root).load();
}

interface PoolLike {
  numUsed(): number;
  numPendingAcquires(): number;
  numPendingCreates(): number;
}

/**
 * Stops a loaded app once the work Strapi started in the background (audit and metrics writes
 * fired without await) has finished: destroying the pool under a pending query rejects it, and
 * nobody catches that rejection.
 */
export async function destroyStrapi(strapi: Core.Strapi, maxWaitMs = 5000): Promise<void> {
  const pool = (strapi.db.connection.client as { pool?: PoolLike }).pool;
  const deadline = Date.now() + maxWaitMs;
  while (pool && Date.now() < deadline) {
    if (pool.numUsed() + pool.numPendingAcquires() + pool.numPendingCreates() === 0) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      if (pool.numUsed() + pool.numPendingAcquires() + pool.numPendingCreates() === 0) break;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  await strapi.destroy();
  // Strapi's destroy removes every listener of the process (process.removeAllListeners()): the
  // launcher's own (signals, the embedded database's stop on exit) are put back.
  for (const [name, listeners] of listenersBefore.get(strapi) ?? []) {
    const present = new Set(process.listeners(name as 'exit'));
    for (const listener of listeners) if (!present.has(listener)) process.on(name as 'exit', listener);
  }
}
