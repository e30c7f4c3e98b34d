import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { EdgeUnavailable, startEdge, type Edge } from '../edge';
import { adminClient, runCli, serverPid, startInstance, waitFor } from '../lib/instances';
import { percentile } from '../lib/stats';
import { cleanupStack, RESULTS, say } from './common';
import { freshDatabase } from './data';
import { DEFAULT_ARTICLES, type Flags } from './flags';
import { Measurement, runCannon } from './load';
import { int, ms } from './report';
import { gitState, whyNotWritten } from './results';
import type { Stats } from './targets';

/**
 * `npm run bench -- --edge`: a breaking-news spike, twice the same shape: 50 connections reading
 * the article by slug and the front-page list while an editor publishes a new headline every
 * second; run A against the origin alone, run B through the edge (a real varnishd with
 * deploy/varnish/default.vcl). Reports req/s, the share of requests that reached the origin,
 * and how long after each publish the edge showed the new headline. See bench/README.md.
 */

const CONNECTIONS = 50;
const HEADLINE = 'Harbour bridge reopens after the storm';
const FRESH_GIVE_UP_MS = 10_000;
export const EDGE_TARGETS = { speedUp: 10, originSharePct: 1, freshP99Ms: 1000 } as const;

export interface EdgeFigures {
  origin: Stats;
  edge: Stats;
  /** backend_req / client_req at the edge during run B, in per cent; undefined when unread. */
  originSharePct: number | undefined;
  /** Time to fresh after each publish of run B, in ms (Infinity: not fresh within the give-up time). */
  fresh: number[];
}
export interface EdgeVerdict {
  target: string;
  measured: string;
  met: boolean;
}

/** The edge run's targets, decided on its own figures only. */
export function edgeVerdicts(f: EdgeFigures): EdgeVerdict[] {
  const bad = (s: Stats) => s.requests === 0 || s.unexpected > 0;
  const ratio = f.origin.rps > 0 ? f.edge.rps / f.origin.rps : 0;
  const sorted = [...f.fresh].sort((a, b) => a - b);
  const p99 = percentile(sorted, 99);
  return [
    {
      target: `edge req/s ≥ ${EDGE_TARGETS.speedUp} × origin req/s`,
      measured: `${int(f.edge.rps)} / ${int(f.origin.rps)} = ${ratio.toFixed(2)} ×${bad(f.origin) || bad(f.edge) ? ' (a run had no request, errors or non-2xx answers)' : ''}`,
      met: ratio >= EDGE_TARGETS.speedUp && !bad(f.origin) && !bad(f.edge),
    },
    {
      target: `≤ ${EDGE_TARGETS.originSharePct} % of requests reach the origin`,
      measured: f.originSharePct === undefined ? 'not read (varnishstat)' : `${f.originSharePct.toFixed(3)} %`,
      met: f.originSharePct !== undefined && f.originSharePct <= EDGE_TARGETS.originSharePct,
    },
    {
      target: `p99 time to fresh at the edge ≤ ${EDGE_TARGETS.freshP99Ms} ms`,
      measured: sorted.length === 0 ? 'no publish' : `${freshMs(p99)} ms over ${sorted.length} publish${sorted.length === 1 ? '' : 'es'}`,
      met: sorted.length > 0 && p99 <= EDGE_TARGETS.freshP99Ms,
    },
  ];
}

const load = (l: number[]) => l.map((n) => n.toFixed(2)).join(' ');
const freshMs = (value: number) => (Number.isFinite(value) ? ms(value) : `> ${FRESH_GIVE_UP_MS}`);
const sleep = (millis: number) => new Promise((r) => setTimeout(r, millis));
const story = (headline: string, text: string) => `${headline}\n\nThe scene at first light. Credit: Coast Agency\n\n${text}\n`;
const counterIn = (body: string) => Math.max(0, ...[...body.matchAll(/\(update #(\d+)\)/g)].map((m) => Number(m[1])));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const Counters = z.object({ counters: z.record(z.object({ value: z.number() }).passthrough()).optional() }).passthrough();
/** The edge's MAIN counters (varnishstat's JSON, version 1 and the older flat form). */
/**
 * CPU seconds (user + system) the processes have used so far (/proc/<pid>/stat, in clock ticks of
 * 1/100 s). On 2 cores the load generator takes one: req/s then says as much about autocannon as
 * about the server, while requests per CPU-second say what each server costs.
 */
function cpuSeconds(pids: number[]): number {
  return pids.reduce((sum, pid) => {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return sum + (Number(fields[11]) + Number(fields[12])) / 100;
  }, 0);
}

/** varnishd's manager and its cache process. */
function varnishPids(edge: Edge): number[] {
  const manager = edge.process.pid as number;
  const children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(manager)], { encoding: 'utf8' }).trim().split(/\s+/).filter(Boolean).map(Number);
  return [manager, ...children];
}

async function counters(workdir: string): Promise<Record<string, number>> {
  const { stdout } = await promisify(execFile)('varnishstat', ['-n', workdir, '-1', '-j', '-f', 'MAIN.*']);
  const parsed = Counters.parse(JSON.parse(stdout));
  const found: Record<string, number> = {};
  for (const [name, value] of Object.entries(parsed.counters ?? parsed)) {
    const counter = z.object({ value: z.number() }).safeParse(value);
    if (counter.success) found[name] = counter.data.value;
  }
  return found;
}

const Articles = z.object({ data: z.array(z.object({ documentId: z.string(), slug: z.string(), headline: z.string() }).passthrough()) });

export async function edgeBench(flags: Flags, argv: string[]): Promise<number> {
  const unused = [flags.only && '--only', flags.cpuProf && '--cpu-prof', flags.rounds && '--rounds', flags.out && '--out', flags.articles !== DEFAULT_ARTICLES && '--articles'].filter(Boolean);
  if (unused.length > 0) {
    say(`--edge does not take ${unused.join(', ')}`);
    return 2;
  }
  const duration = flags.duration ?? (flags.quick ? 5 : 20);
  const started = new Date();
  const loadBefore = loadavg();
  const gitBefore = gitState();
  const notWritten = whyNotWritten(gitBefore, gitBefore);
  if (notWritten) say(`results will not be written to bench/results/ (${notWritten}): the figures are printed only`);

  const cleanups = cleanupStack();
  const cleanUp = cleanups.cleanUp;
  const budgetMs = (8 * 60 + 2 * (duration + 20)) * 1000;
  const watchdog = setTimeout(() => {
    say(`the edge run took longer than ${Math.round(budgetMs / 60000)} minutes: stopping`);
    void cleanUp().finally(() => process.exit(1));
  }, budgetMs);
  watchdog.unref();

  try {
    const [originPort, edgePort] = [await freePort(), await freePort()];
    // The edge first: without varnishd there is nothing to measure (exit 2).
    let edge: Edge;
    try {
      edge = await startEdge({ listen: `127.0.0.1:${edgePort}`, origin: `127.0.0.1:${originPort}` });
    } catch (error) {
      if (!(error instanceof EdgeUnavailable)) throw error;
      say(`--edge needs varnishd: ${error.message}`);
      return 2;
    }
    cleanups.push(edge.stop);
    const database = await freshDatabase();
    cleanups.push(database.dispose);
    say(`database: ${database.where}; edge ${edge.url}`);
    const env = { DATABASE_URL: database.url, EDGE_PURGE_URLS: edge.url, LOG_LEVEL: 'warn', SURROGATE_MAX_AGE: undefined, SURROGATE_STALE_WHILE_REVALIDATE: undefined };
    say('starting the app…');
    const instance = await startInstance(originPort, env);
    cleanups.push(() => instance.stop());
    // For scale: the same origin without its own response cache, on the same database.
    const uncached = await startInstance(await freePort(), { ...env, CACHE_ENABLED: 'false' });
    cleanups.push(() => uncached.stop());

    const dir = mkdtempSync(join(tmpdir(), 'news-bench-edge-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'edge-spike.txt'), story(HEADLINE, 'The harbour bridge reopened to traffic on Monday morning after three days of repairs.'));
    ['Council approves longer library hours', 'Ferry timetable changes for the winter', 'Rowing club wins the regional final'].forEach((headline, i) =>
      writeFileSync(join(dir, `edge-other-${i + 1}.txt`), story(headline, `${headline}, the town heard on Monday.`))
    );
    say('importing the stories…');
    const imported = await runCli(['import', dir], env);
    if (imported.code !== 0) throw new Error(`import failed (${imported.code}):\n${imported.output}`);
    const list = Articles.parse(await (await fetch(`${instance.baseUrl}/api/articles`)).json()).data;
    const article = list.find((a) => a.headline === HEADLINE);
    if (!article || list.length < 4) throw new Error(`/api/articles lists ${list.length} articles, ${article ? 'with' : 'without'} "${HEADLINE}"`);
    const paths = [`/api/articles?filters[slug][$eq]=${article.slug}`, '/api/articles'];
    const admin = await adminClient(instance.baseUrl);
    await waitFor(async () => ((await fetch(`${edge.url}/_health`)).status === 204 ? true : undefined), 15_000, 'the edge to see the origin');

    let counter = 0;
    let publishFailures = 0;
    const fresh: number[] = [];
    /** One run: autocannon on both paths while the headline changes once a second. */
    const spike = async (base: string, pollEdge: boolean): Promise<Stats> => {
      const measurement = new Measurement(200, undefined);
      const end = Date.now() + duration * 1000;
      const pollers: Array<Promise<void>> = [];
      const publisher = async () => {
        while (Date.now() < end - 500) {
          const tick = Date.now();
          counter += 1;
          const n = counter;
          try {
            await admin.publishHeadline(article.documentId, `${HEADLINE} (update #${n})`);
            if (pollEdge) pollers.push(timeToFresh(edge.url, paths, n).then((elapsed) => void fresh.push(elapsed)));
          } catch (error) {
            publishFailures += 1;
            say(`publish ${n} failed: ${error instanceof Error ? error.message : String(error)}`);
          }
          await sleep(Math.max(0, 1000 - (Date.now() - tick)));
        }
      };
      const requests = paths.map((path) => ({ method: 'GET' as const, path }));
      const [result] = await Promise.all([
        runCannon({ url: base, connections: CONNECTIONS, pipelining: 1, timeout: 10, duration, requests }, (status, latency) => measurement.record(status, latency)),
        publisher(),
      ]);
      await Promise.all(pollers);
      measurement.add(result);
      return measurement.stats();
    };

    const originPids = [serverPid(instance)];
    const edgePids = varnishPids(edge);
    say(`run A: the origin alone, ${duration} s…`);
    const cpuBeforeA = cpuSeconds(originPids);
    const origin = await spike(instance.baseUrl, false);
    const cpuA = cpuSeconds(originPids) - cpuBeforeA;
    say(`run A: ${int(origin.rps)} req/s, p50 ${ms(origin.p50)} ms, p99 ${ms(origin.p99)} ms, ${origin.unexpected} unexpected`);
    const before = await counters(edge.workdir).catch(() => undefined);
    say(`run B: through the edge, ${duration} s…`);
    say(`run C: the origin without its response cache, ${duration} s…`);
    const originUncached = await spike(uncached.baseUrl, false);
    say(`run C: ${int(originUncached.rps)} req/s`);
    const cpuBeforeB = { edge: cpuSeconds(edgePids), origin: cpuSeconds(originPids) };
    const edgeStats = await spike(edge.url, true);
    const cpuB = { edge: cpuSeconds(edgePids) - cpuBeforeB.edge, origin: cpuSeconds(originPids) - cpuBeforeB.origin };
    const after = await counters(edge.workdir).catch((error: unknown) => say(`varnishstat: ${error instanceof Error ? error.message : String(error)}`));
    const delta = (name: string) => (before && after ? (after[`MAIN.${name}`] ?? NaN) - (before[`MAIN.${name}`] ?? NaN) : NaN);
    const share = (delta('backend_req') / delta('client_req')) * 100;
    say(`run B: ${int(edgeStats.rps)} req/s, p50 ${ms(edgeStats.p50)} ms, p99 ${ms(edgeStats.p99)} ms, ${edgeStats.unexpected} unexpected`);
    await cleanUp();

    const figures: EdgeFigures = { origin, edge: edgeStats, originSharePct: Number.isFinite(share) ? share : undefined, fresh };
    const verdicts = edgeVerdicts(figures);
    const notMet = verdicts.filter((v) => !v.met);
    const sortedFresh = [...fresh].sort((a, b) => a - b);
    const gitAfter = gitState();
    const unwritten = whyNotWritten(gitBefore, gitAfter);
    const non2xx = (s: Stats) => Object.entries(s.statusCodes).reduce((sum, [code, count]) => sum + (code.startsWith('2') ? 0 : count), 0);
    const row = (name: string, s: Stats) => `| ${name} | ${int(s.rps)} | ${int(s.requests)} | ${non2xx(s)} | ${s.errors + s.timeouts} | ${ms(s.p50)} | ${ms(s.p99)} |`;
    const cpu = cpus();
    const markdown = [
      '# Edge: a breaking-news spike through Varnish',
      '',
      `\`npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}\` on ${started.toISOString()} · commit ${gitBefore ? `${gitBefore.short}${unwritten ? ' + uncommitted changes' : ''}` : 'unknown'} · ${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores · load average ${load(loadBefore)} before, ${load(loadavg())} after · ${database.where}`,
      '',
      `One app instance (Surrogate-Control max-age 60, stale-while-revalidate 30), purging the edge by key; ${list.length} published articles. ` +
        `Each run: ${duration} s, ${CONNECTIONS} connections, autocannon cycling the article by slug and the front-page list \`/api/articles\`, while the headline is published anew once a second (admin save + publish). A: the origin alone; B: through the edge.`,
      '',
      '| run | req/s | requests | non-2xx | errors | p50 ms | p99 ms |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
      row('A: origin', origin),
      row('B: edge', edgeStats),
      row('C: origin, response cache off (for scale)', originUncached),
      '',
      `The origin as deployed answers hot reads from its own response cache, ahead of Koa: the edge's ${(edgeStats.rps / origin.rps).toFixed(2)} × is against that. ` +
        `Against the origin without it (C), the edge answers ${(edgeStats.rps / originUncached.rps).toFixed(1)} × as many requests a second.`,
      '',
      `Cost per request (CPU seconds the servers used during the run, /proc): A, the origin: ${cpuA.toFixed(1)} s for ${int(origin.requests)} requests = ` +
        `${int(origin.requests / cpuA)} requests per CPU-second. B: varnishd ${cpuB.edge.toFixed(1)} s and the origin ${cpuB.origin.toFixed(1)} s for ${int(edgeStats.requests)} requests = ` +
        `${int(edgeStats.requests / (cpuB.edge + cpuB.origin))} requests per CPU-second, ${(edgeStats.requests / (cpuB.edge + cpuB.origin) / (origin.requests / cpuA)).toFixed(1)} × the origin's. ` +
        `With the load generator on the same 2 cores, req/s is bounded by it; requests per CPU-second is what each server would sustain on a core of its own.`,
      '',
      `Reaching the origin in B: MAIN.backend_req ${delta('backend_req')} / MAIN.client_req ${delta('client_req')} = ${figures.originSharePct?.toFixed(3) ?? '?'} % ` +
        `(cache_hit ${delta('cache_hit')}, of which grace ${delta('cache_hit_grace')}; cache_miss ${delta('cache_miss')}; bgfetch ${delta('s_bgfetch')}; the fresh-check requests included).`,
      '',
      `Time to fresh at the edge in B (from the publish's answer until both URLs show the new headline, polled every 5 ms on connections of their own): ` +
        `${sortedFresh.length} publishes, p50 ${freshMs(percentile(sortedFresh, 50))} ms, p99 ${freshMs(percentile(sortedFresh, 99))} ms, max ${freshMs(sortedFresh[sortedFresh.length - 1] ?? NaN)} ms. Publishes that failed (both runs): ${publishFailures}.`,
      '',
      '| target | measured | met |',
      '| --- | --- | --- |',
      ...verdicts.map((v) => `| ${v.target} | ${v.measured} | ${v.met ? 'yes' : '**no**'} |`),
      '',
    ].join('\n');
    console.log(markdown);
    if (unwritten || !gitAfter) say(`not written to bench/results/: ${unwritten}; commit (or stash) and run again to keep the figures`);
    else {
      mkdirSync(RESULTS, { recursive: true });
      writeFileSync(join(RESULTS, 'edge.md'), markdown);
      say(`wrote bench/results/edge.md (commit ${gitAfter.short})`);
    }
    if (notMet.length === 0) say(`targets: all ${verdicts.length} met`);
    else for (const v of notMet) say(`target missed: ${v.target}: ${v.measured}`);
    return notMet.length === 0 ? 0 : 1;
  } finally {
    clearTimeout(watchdog);
    await cleanUp();
    cleanups.release();
  }
}

/** From a publish's answer until every path at the edge shows update `n` (or a later one). */
async function timeToFresh(edgeUrl: string, paths: string[], n: number): Promise<number> {
  const since = performance.now();
  const pending = new Set(paths);
  while (pending.size > 0) {
    if (performance.now() - since > FRESH_GIVE_UP_MS) return Infinity;
    await Promise.all(
      [...pending].map(async (path) => {
        try {
          if (counterIn(await (await fetch(`${edgeUrl}${path}`)).text()) >= n) pending.delete(path);
        } catch {
          // the next poll tries again
        }
      })
    );
    if (pending.size > 0) await sleep(5);
  }
  return performance.now() - since;
}
