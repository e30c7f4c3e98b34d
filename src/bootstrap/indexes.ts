import type { Core } from '@strapi/strapi';
import { POST_SYNC_STATEMENTS } from '../../database/indexes';

export async function ensureIndexes(strapi: Core.Strapi): Promise<void> {
  for (const statement of POST_SYNC_STATEMENTS) {
    await strapi.db.connection.raw(statement);
  }
}
