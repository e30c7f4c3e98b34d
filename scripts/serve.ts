import { resolve } from 'node:path';
import { readEnv } from '../src/env';
import { installGracefulShutdown } from '../src/runtime/lifecycle';
import { createStrapiApp } from '../src/runtime/load-strapi';

/**
 * The production server, as `strapi start` runs it, started by the launcher over an IPC channel:
 * if the launcher dies without a chance to stop it (SIGKILL), the channel closes and the server
 * drains and stops instead of running on orphaned, holding its port and the embedded database.
 */
const ROOT = resolve(__dirname, '..', '..');
// Strapi's own signal handlers would destroy open connections at once: the drain replaces them.
const strapi = createStrapiApp(ROOT);
installGracefulShutdown(strapi, readEnv().SHUTDOWN_TIMEOUT ?? 25);
process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
void strapi.start();
