import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { RESULTS, ROOT, say } from './common';
import { freshDatabase, generateArticles } from './data';
import { parseFlags, USAGE, UsageError, type Flags } from './flags';
import { Measurement, measureSlice, sqlPerRequest, warmUp } from './load';
import { expect, probe, request, type Captured } from './probe';
import { summariseProfile } from './profile';
import { int, ms, report, type RunInfo } from './report';
import { CONNECTIONS, rowsFor, type Row, type Server } from './rows';
import { ask, childEnv, startChild, type BareAnswer, type BarePayload, type Child } from './servers';
import { describeMissed, evaluateTargets, exitStatus, missed, referencesOf, type Measured } from './targets';

/** One run of the bench: the servers, the probe, the rows measured, the report. */

export async function main(argv: string[]): Promise<number> {
  let flags: Flags;
  try {
    flags = parseFlags(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      say(error.message);
      say(USAGE);
      return 2;
    }
    throw error;
  }
  const duration = flags.duration ?? (flags.quick ? 2 : 10);
  const warmup = flags.quick ? 0.5 : Math.min(2, duration / 5);
  // A profile is one window: one slice per row then.
  const rounds = flags.cpuProf ? 1 : (flags.rounds ?? (duration >= 5 ? 5 : 1));
  const outName = flags.out ?? ([flags.quick ? 'quick' : '', flags.articles > 1 ? `articles-${flags.articles}` : ''].filter(Boolean).join('-') || 'latest');
  const started = new Date();
  const loadBefore = loadavg();
  mkdirSync(RESULTS, { recursive: true });

  const cleanups: Array<() => Promise<void>> = [];
  const cleanUp = async () => {
    while (cleanups.length > 0) {
      const step = cleanups.pop();
      try {
        await step?.();
      } catch (error) {
        say(`clean-up: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  };
  const onSignal = () => {
    say('interrupted: stopping');
    void cleanUp().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Whatever happens, the run ends: boots + generation + rows, with a wide margin.
  const budgetMs = (20 * 60 + (flags.articles / 100_000) * 30 * 60 + 8 * 2 * (duration + warmup)) * 1000;
  const watchdog = setTimeout(() => {
    say(`the run took longer than ${Math.round(budgetMs / 60000)} minutes: stopping`);
    void cleanUp().finally(() => process.exit(1));
  }, budgetMs);
  watchdog.unref();

  try {
    const database = await freshDatabase();
    cleanups.push(database.dispose);
    say(`database: ${database.where}`);

    say('starting the app with the response cache on, and seeding the story…');
    const cacheOn = await startChild('cache-on', ['--serve', '--seed'], childEnv({ DATABASE_URL: database.url, CACHE_ENABLED: 'true' }));
    cleanups.push(cacheOn.stop);

    let generatedIn: number | undefined;
    let generatedSlug: string | undefined;
    if (flags.articles > 1) {
      say(`generating ${(flags.articles - 1).toLocaleString('en-US')} more published articles…`);
      const t0 = Date.now();
      generatedSlug = await generateArticles(database.url, flags.articles - 1);
      generatedIn = (Date.now() - t0) / 1000;
      say(`generated in ${generatedIn.toFixed(1)} s`);
    }

    say('starting the app with the response cache off…');
    const cacheOff = await startChild('cache-off', ['--serve'], childEnv({ DATABASE_URL: database.url, CACHE_ENABLED: 'false' }));
    cleanups.push(cacheOff.stop);

    const allRows = rowsFor(flags.articles, '', generatedSlug);
    const ports: Record<Server, number> = { bare: 0, 'cache-on': cacheOn.port, 'cache-off': cacheOff.port };
    const probed = await probe(ports, allRows, flags.articles);
    const base64 = (c: Captured): BareAnswer => ({ status: c.status, headers: c.headers, body: c.body.toString('base64') });
    const payload: BarePayload = { get: base64(probed.article), notModified: base64(probed.notModified), etag: probed.etag, post: base64(probed.graphql) };
    const bare = await startChild('bare', ['--bare'], childEnv({}), payload);
    cleanups.push(bare.stop);
    ports.bare = bare.port;
    // The bare rows answer exactly what the app answered: status, bytes, and headers but the date.
    const headerLines = (headers: IncomingHttpHeaders) =>
      Object.entries(headers)
        .filter(([name]) => name !== 'date')
        .map(([name, value]) => `${name}: ${String(value)}`)
        .sort()
        .join('\n');
    const bareRows = rowsFor(flags.articles, probed.etag, generatedSlug).filter((r) => r.server === 'bare');
    const appAnswers: Record<number, [number, Captured]> = { 1: [2, probed.article], 11: [3, probed.notModified], 12: [5, probed.graphql] };
    for (const row of bareRows) {
      const [appRow, app] = appAnswers[row.id];
      const answer = await request(bare.port, row);
      expect(answer.status === app.status, `(${row.id}) answers ${answer.status}, (${appRow}) ${app.status}`);
      expect(answer.body.equals(app.body), `(${row.id}) does not answer the bytes of (${appRow})`);
      expect(headerLines(answer.headers) === headerLines(app.received), `(${row.id}) does not answer the headers of (${appRow}):\n${headerLines(answer.headers)}\nvs\n${headerLines(app.received)}`);
    }

    const rows = selectRows(rowsFor(flags.articles, probed.etag, generatedSlug), flags.only);
    const measured: Measured = new Map();
    const raw: Record<string, unknown> = {};
    const children: Record<Server, Child> = { bare, 'cache-on': cacheOn, 'cache-off': cacheOff };
    const profiles: Array<{ row: Row; conns: number; file: string }> = [];
    const sql = new Map<number, { perRequest: number; statements: string[] }>();
    for (const row of rows) if (row.server !== 'bare') sql.set(row.id, await sqlPerRequest(children[row.server], row));
    for (const conns of CONNECTIONS) {
      if (warmup > 0) for (const row of rows) await warmUp(ports[row.server], row, conns, warmup);
      const measurements = new Map(rows.map((row) => [row.id, new Measurement(row.expectStatus, sql.get(row.id)?.perRequest)]));
      // Round-robin slices: load from elsewhere on the machine falls on every row alike.
      for (let round = 0; round < rounds; round += 1) {
        for (const row of rows) {
          const child = children[row.server];
          // Profiles are large: under .tmp/ (git-ignored), summarised in the report.
          const file = join(ROOT, '.tmp', 'bench-profiles', `${outName}-${row.id}-${conns}.cpuprofile`);
          const around =
            flags.cpuProf && row.server !== 'bare'
              ? {
                  before: async () => void (await ask(child, { type: 'profile-start' })),
                  after: async () => void (await ask(child, { type: 'profile-stop', file })),
                }
              : undefined;
          await measureSlice(measurements.get(row.id) as Measurement, ports[row.server], row, conns, duration / rounds, around);
          if (around) profiles.push({ row, conns, file });
        }
      }
      for (const row of rows) {
        const measurement = measurements.get(row.id) as Measurement;
        const stats = measurement.stats();
        if (!measured.has(row.id)) measured.set(row.id, new Map());
        measured.get(row.id)?.set(conns, stats);
        raw[`${row.id}@${conns}`] = { row, stats, autocannon: measurement.raw };
        const bareStats = row.bare === undefined ? undefined : measured.get(row.bare)?.get(conns);
        say(
          `(${row.id}) ${conns} conns: ${int(stats.rps)} req/s, p50 ${ms(stats.p50)} ms, p99 ${ms(stats.p99)} ms` +
            (stats.sqlPerRequest !== undefined ? `, ${stats.sqlPerRequest.toFixed(1)} SQL/req` : '') +
            (stats.unexpected > 0 ? `, ${stats.unexpected} unexpected answers ${JSON.stringify(stats.statusCodes)}` : '') +
            (bareStats ? ` = ${(stats.rps / bareStats.rps).toFixed(3)} × (${row.bare})` : '')
        );
      }
    }

    await cleanUp();
    const info: RunInfo = {
      command: `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
      started,
      duration,
      warmup,
      rounds,
      articles: flags.articles,
      database: database.where,
      loadBefore,
      loadAfter: loadavg(),
      bodyBytes: probed.article.body.length,
      notes: probed.notes,
      generatedIn,
      profiled: flags.cpuProf,
    };
    const verdicts = evaluateTargets({ measured, connections: CONNECTIONS });
    const markdown = report(info, rows, measured, verdicts, sql);
    // One summary per profiled row, at the highest connection count measured.
    let summaries = '';
    for (const { row, conns, file } of profiles) {
      if (profiles.some((p) => p.row.id === row.id && p.conns > conns) || !existsSync(file)) continue;
      summaries +=
        `\n## CPU profile of (${row.id}) at ${conns} connections: ${row.label}\n\n` +
        `\`${file.slice(ROOT.length + 1)}\` (open in Chrome DevTools › Performance); the ${row.server} app process, measured window only.\n\n` +
        summariseProfile(file);
    }
    writeFileSync(join(RESULTS, `${outName}.md`), markdown + summaries);
    writeFileSync(join(RESULTS, `${outName}.json`), JSON.stringify({ info, results: raw, sql: Object.fromEntries(sql) }, null, 2));
    console.log(markdown + summaries);
    say(`wrote bench/results/${outName}.md and ${outName}.json`);
    const notMet = missed(verdicts);
    if (notMet.length === 0) say(`targets: all ${verdicts.length} met`);
    else {
      say(`targets: ${notMet.length} of ${verdicts.length} NOT met:`);
      for (const verdict of notMet) say(`  target missed: ${describeMissed(verdict)}`);
    }
    return exitStatus(verdicts);
  } finally {
    clearTimeout(watchdog);
    await cleanUp();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * The rows `--only` names (all without it), with the rows their targets compare them with: a
 * target is always decided against figures of the same run.
 */
function selectRows(all: Row[], only: number[] | undefined): Row[] {
  if (!only) return all;
  const wanted = new Set(only);
  for (let grown = true; grown; ) {
    grown = false;
    for (const id of [...wanted]) {
      for (const reference of referencesOf(id)) {
        if (wanted.has(reference) || !all.some((r) => r.id === reference)) continue;
        wanted.add(reference);
        grown = true;
        say(`--only: (${reference}) measured too, for the target of (${id})`);
      }
    }
  }
  const unknown = only.filter((id) => !all.some((r) => r.id === id));
  if (unknown.length > 0) say(`--only: no row ${unknown.map((id) => `(${id})`).join(', ')} in this run`);
  return all.filter((r) => wanted.has(r.id));
}
