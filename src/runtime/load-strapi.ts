import { join } from 'node:path';
import { createStrapi, type Core } from '@strapi/strapi';

/** Loads the compiled app in this process (bootstrap included) without opening a port. */
export async function loadStrapi(root: string): Promise<Core.Strapi> {
  const app = createStrapi({ appDir: root, distDir: join(root, 'dist') });
  return app.load();
}
