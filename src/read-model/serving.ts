import { readEnv } from '../env';

let setting: boolean | undefined;

/**
 * Whether whole-article reads (REST by slug, by id, lists; the GraphQL article query) come from
 * the read model: READ_MODEL_SERVE, read once. The tests that compare the read model's answers
 * with Strapi's own, byte for byte, turn it off and on in one process (`serveFromReadModel`).
 */
export function servesFromReadModel(): boolean {
  setting ??= readEnv().READ_MODEL_SERVE;
  return setting;
}

export function serveFromReadModel(on: boolean): void {
  setting = on;
}
