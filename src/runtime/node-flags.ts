/**
 * Node flags of the production server process: the launcher's `start` runs the server with them,
 * and the bench runs its servers with them, so that it measures what production runs.
 *
 * --max-semi-space-size=32: V8's young generation may grow to 32 MiB a semi-space (Node 20's
 * ceiling is 16 MiB). A read under load holds its page of rows, strings and body for the length
 * of a database round trip; with 50 requests in flight they outgrow 16 MiB, survive the young
 * collections and are copied into the old generation, which then needs full collections. On the
 * list of 20 at 50 connections (`npm run bench -- --only 7 --cpu-prof`) garbage collection took
 * 2.0 s of 10.5 s sampled with the default and 0.7 s with this flag. It costs up to 32 MiB of
 * memory more per process.
 */
export const SERVER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=32'];

/** The flags, minus any the operator already set in NODE_OPTIONS (given by the launcher; theirs win). */
export function serverNodeFlags(nodeOptions: string | undefined): string[] {
  const given = new Set((nodeOptions ?? '').split(/\s+/).map((option) => option.split('=')[0]));
  return SERVER_NODE_FLAGS.filter((flag) => !given.has(flag.split('=')[0]));
}
