/**
 * `npm run bench`: the read paths side by side with a bare Node server serving the same bytes.
 *
 * The bench process runs autocannon; everything it measures runs in a child process of its own,
 * so the load generator never shares an event loop with a server under test:
 *   - `cache-on`:  the app as deployed (response cache and its fast path ahead of Koa), seeded;
 *   - `cache-off`: the same app with CACHE_ENABLED=false, on the same database;
 *   - `stock`:     the same app with CACHE_ENABLED=false and READ_MODEL_SERVE=false (core
 *                  controller and GraphQL resolvers, never the read model), same database;
 *   - `bare`:      a plain `node:http` server answering with the status, bytes and headers the app
 *                  answered: (1) like (2), (11) the 304 of (3), (12) the GraphQL answer of (5).
 * The database is fresh: made on the server DATABASE_URL points at (dropped at the end), else an
 * embedded PostgreSQL under .tmp/ (stopped and removed at the end). Loopback only, bounded in
 * time, and everything it started is stopped on success, failure or Ctrl-C.
 *
 * Flags: --duration <s> (10), --articles <n> (1000), --quick (2 s per row), --rounds <n> (each
 * row's duration in n round-robin slices; 5 from 5 s up), --only <ids> (e.g. 1,5), --cpu-prof
 * (profile the app children around each row; summary appended to the report),
 * --out <name> (file name under bench/results/; default latest, quick, articles-<n>, quick-articles-<n>).
 * --edge: instead of the rows, a breaking-news spike against the origin alone and through a real
 * varnishd (edge.ts; --duration 20, --quick 5; report bench/results/edge.md; exit 2 without varnishd).
 * Rows, targets and files: bench/README.md.
 * `node dist/scripts/bench/index.js --summarise-profile <file.cpuprofile>` summarises any CPU profile.
 *
 * Targets are decided by targets.ts on the figures of the run; the exit status is 1 when any is
 * missed. Results are written to bench/results/ only from a committed tree (see bench/README.md).
 *
 * The modules: flags.ts (command line), rows.ts (what is measured), targets.ts (the targets),
 * data.ts (fresh database, generated articles), servers.ts and child.ts (the child processes and
 * their IPC), probe.ts (checks before measuring), load.ts (autocannon), report.ts (markdown),
 * results.ts (results files, committed tree, baseline), profile.ts (CPU profile summaries),
 * edge.ts (the --edge run), main.ts (one run).
 */
import { resolve } from 'node:path';
import { say } from './common';
import { main } from './main';
import { summariseProfile } from './profile';

const args = process.argv.slice(2);
if (args[0] === '--summarise-profile' && args[1]) {
  // A profile taken by hand (`node --cpu-prof …`), summarised the way the report does.
  console.log(summariseProfile(resolve(args[1])));
} else {
  main(args).then(
    (code) => process.exit(code),
    (error: unknown) => {
      say(error instanceof Error ? error.message : String(error));
      process.exit(1);
    }
  );
}
