import { parseArgs as parseArgv } from 'node:util';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { percentile } from './lib/stats';
import { gitState, whyNotWritten } from './bench/results';
import { adminClient, createDatabase, dropDatabase, runCli, startInstance, startPostgres, type RunningProcess } from './lib/instances';
import { removeEmbeddedCluster } from '../src/runtime/embedded-postgres';

/**
 * `npm run soak`: reads at N connections for D seconds while an editor publishes the article
 * every second; reports errors, p50/p99, and reads that returned a headline older than one
 * published more than 1 s before the read began (stale). Loopback only; bounded; stops itself.
 */
const Args = z.object({
  duration: z.coerce.number().int().min(1).max(600).default(60),
  connections: z.coerce.number().int().min(1).max(500).default(50),
  port: z.coerce.number().int().min(1024).max(65535).default(1441),
});

function parseArgs(argv: string[]) {
  try {
    const { values } = parseArgv({ args: argv, strict: true, options: { duration: { type: 'string' }, connections: { type: 'string' }, port: { type: 'string' } } });
    return Args.parse(values);
  } catch (error) {
    throw new Error(`${(error as Error).message}\nusage: npm run soak -- [--duration s] [--connections n] [--port p]`);
  }
}

const SLUG = 'putin-visits-chinas-little-moscow-as-allies-continue-to-discuss-trade';

export async function soak(argv: string[], options: { writeResults?: boolean } = {}): Promise<number> {
  const args = parseArgs(argv);
  const gitBefore = gitState();
  const cleanup: Array<() => Promise<unknown>> = [];
  try {
    let databaseUrl: string;
    if (process.env.DATABASE_URL) {
      databaseUrl = await createDatabase(process.env.DATABASE_URL, 'news_soak');
      cleanup.push(() => dropDatabase(databaseUrl));
    } else {
      const dir = mkdtempSync(join(tmpdir(), 'news-soak-pg-'));
      const pg: RunningProcess & { url: string } = await startPostgres(dir, args.port + 1000, 'soak');
      databaseUrl = pg.url;
      cleanup.push(async () => {
        await pg.stop();
        removeEmbeddedCluster(dir);
      });
    }
    const seeded = await runCli(['seed'], { DATABASE_URL: databaseUrl, LOG_LEVEL: 'error' });
    if (seeded.code !== 0) throw new Error(`seed failed:\n${seeded.output}`);
    const instance = await startInstance(args.port, { DATABASE_URL: databaseUrl });
    cleanup.push(() => instance.stop());
    const url = `${instance.baseUrl}/api/articles?filters[slug][$eq]=${SLUG}`;
    const documentId = ((await (await fetch(url)).json()) as { data: Array<{ documentId: string }> }).data[0].documentId;
    const admin = await adminClient(instance.baseUrl);

    const published: Array<{ n: number; at: number }> = [];
    const latencies: number[] = [];
    let errors = 0;
    let stale = 0;
    let reads = 0;
    const headlineNumber = (headline: string) => Number(/#(\d+)$/.exec(headline)?.[1] ?? 0);
    const end = Date.now() + args.duration * 1000;

    const reader = async () => {
      while (Date.now() < end) {
        const started = Date.now();
        try {
          const response = await fetch(url);
          const body = (await response.json()) as { data?: Array<{ headline: string }> };
          latencies.push(Date.now() - started);
          reads += 1;
          if (response.status !== 200 || !body.data?.[0]) {
            errors += 1;
            continue;
          }
          const seen = headlineNumber(body.data[0].headline);
          // Stale: a newer version had been published for more than 1 s when this read began.
          if (published.some((p) => p.n > seen && p.at + 1000 < started)) stale += 1;
        } catch {
          errors += 1;
        }
      }
    };
    const publisher = async () => {
      let n = 0;
      let failures = 0;
      while (Date.now() < end - 500) {
        const tick = Date.now();
        n += 1;
        try {
          await admin.publishHeadline(documentId, `Soak headline #${n}`);
          published.push({ n, at: Date.now() });
        } catch (error) {
          failures += 1;
          console.error(`publish ${n} failed: ${(error as Error).message}`);
        }
        await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - tick))));
      }
      return failures;
    };
    const [publishFailures] = await Promise.all([publisher(), ...Array.from({ length: args.connections }, reader)]);
    latencies.sort((a, b) => a - b);
    const report = {
      duration: args.duration,
      connections: args.connections,
      reads,
      readsPerSecond: Math.round(reads / args.duration),
      errors,
      p50ms: percentile(latencies, 50),
      p99ms: percentile(latencies, 99),
      publishes: published.length,
      publishFailures,
      staleReadsBeyond1s: stale,
    };
    console.log(JSON.stringify(report, null, 2));
    const ok = errors === 0 && stale === 0 && publishFailures === 0 && published.length > 0;
    console.log(ok ? 'soak: PASS (0 errors, no stale read beyond 1 s)' : 'soak: FAIL');
    if (options.writeResults) writeResults(`npm run soak -- --duration ${args.duration} --connections ${args.connections}`, report, ok, gitBefore);
    return ok ? 0 : 1;
  } finally {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
  }
}

/** bench/results/soak.md, from a committed tree only, stamped with its commit. */
function writeResults(command: string, report: Record<string, number>, ok: boolean, gitBefore: ReturnType<typeof gitState>): void {
  const gitAfter = gitState();
  const notWritten = whyNotWritten(gitBefore, gitAfter);
  if (notWritten || !gitAfter) {
    console.error(`soak: results not written: ${notWritten ?? 'not a git checkout'} (only figures of a committed tree are kept)`);
    return;
  }
  const dir = join(__dirname, '..', '..', 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const rows = Object.entries(report).map(([name, value]) => `| ${name} | ${value} |`).join('\n');
  writeFileSync(
    join(dir, 'soak.md'),
    `# Soak\n\n\`${command}\` on ${new Date().toISOString()} · commit ${gitAfter.short} · ${ok ? 'PASS' : 'FAIL'}\n\n| measure | value |\n| --- | ---: |\n${rows}\n`
  );
  console.error(`soak: wrote bench/results/soak.md (commit ${gitAfter.short})`);
}

if (require.main === module) {
  soak(process.argv.slice(2), { writeResults: true }).then(
    (code) => process.exit(code),
    (error) => {
      console.error(`soak: ${(error as Error).message}`);
      process.exit(1);
    }
  );
}
