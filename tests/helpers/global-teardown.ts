import { removeEmbeddedCluster } from '../../src/runtime/embedded-postgres';

export default async function globalTeardown(): Promise<void> {
  await globalThis.__embeddedTestDatabase?.stop();
  if (process.env.TEST_EMBEDDED_DIR) removeEmbeddedCluster(process.env.TEST_EMBEDDED_DIR);
}
