import { join, resolve } from 'node:path';
import { createStrapi } from '@strapi/strapi';

/**
 * The production server, as `strapi start` runs it, started by the launcher over an IPC channel:
 * if the launcher dies without a chance to stop it (SIGKILL), the channel closes and the server
 * drains and stops instead of running on orphaned, holding its port and the embedded database.
 */
const ROOT = resolve(__dirname, '..', '..');

process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
void createStrapi({ appDir: ROOT, distDir: join(ROOT, 'dist') }).start();
