import { join, resolve } from 'node:path';
import { createStrapi } from '@strapi/strapi';
import { readEnv } from '../src/env';
import { installGracefulShutdown } from '../src/runtime/lifecycle';

/**
 * The production server, as `strapi start` runs it, started by the launcher over an IPC channel:
 * if the launcher dies without a chance to stop it (SIGKILL), the channel closes and the server
 * drains and stops instead of running on orphaned, holding its port and the embedded database.
 */
const ROOT = resolve(__dirname, '..', '..');
const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

const before = new Map(SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
const strapi = createStrapi({ appDir: ROOT, distDir: join(ROOT, 'dist') });
// The handlers createStrapi added destroy open connections at once, resetting whatever is in
// flight: replaced by the drain (whatever those handlers are named).
for (const [signal, known] of before) {
  for (const listener of process.listeners(signal)) if (!known.has(listener)) process.off(signal, listener);
}
installGracefulShutdown(strapi, readEnv().SHUTDOWN_TIMEOUT ?? 25);
process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
void strapi.start();
