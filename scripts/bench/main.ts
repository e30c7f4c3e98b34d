import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { cleanupStack, RESULTS, ROOT, say } from './common';
import { freshDatabase, generateArticles } from './data';
import { edgeBench } from './edge';
import { DEFAULT_ARTICLES, parseFlags, USAGE, UsageError, type Flags } from './flags';
import { Measurement, measureSlice, sqlPerRequest, warmUp } from './load';
import { expect, probe, request, type Captured } from './probe';
import { summariseProfile } from './profile';
import { int, ms, report, type RunInfo } from './report';
import { CONNECTIONS, rowsFor, SERVER_ENV, type Row, type Server } from './rows';
import { ask, childEnv, startChild, type BareAnswer, type BarePayload, type Child } from './servers';
import { findBaseline, gitState, readResultsFiles, RESULTS_SCHEMA, sameCode, whyNotWritten, type ResultsFile } from './results';
import { COST, describeMissed, evaluateTargets, exitStatus, missed, referencesOf, type CostBaseline, type Measured } from './targets';

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
  // The edge run measures something else (the spike through Varnish): a module of its own.
  if (flags.edge) return edgeBench(flags, argv);
  const duration = flags.duration ?? (flags.quick ? 2 : 10);
  const warmup = flags.quick ? 0.5 : Math.min(2, duration / 5);
  // A profile is one window: one slice per row then.
  const rounds = flags.cpuProf ? 1 : (flags.rounds ?? (duration >= 5 ? 5 : 1));
  const outName = flags.out ?? ([flags.quick ? 'quick' : '', flags.articles !== DEFAULT_ARTICLES ? `articles-${flags.articles}` : ''].filter(Boolean).join('-') || 'latest');
  const started = new Date();
  const loadBefore = loadavg();
  // Figures are kept only for a committed tree: checked now and again before writing.
  const gitBefore = gitState();
  const notWritten = whyNotWritten(gitBefore, gitBefore);
  if (notWritten) say(`results will not be written to bench/results/ (${notWritten}): the figures are printed only`);
  // Cost growth: against the --articles 1000 run of the same commit, looked for now so that a
  // long run says at once that it will miss the target.
  let baseline: CostBaseline | undefined;
  if (flags.articles === COST.articles) {
    const head = gitBefore?.commit ?? 'unknown';
    baseline = gitBefore ? findBaseline(readResultsFiles(), head, (commit) => sameCode(commit, head)) : { found: false, reason: 'not a git checkout' };
    if (!baseline.found) say(`cost growth target will be missed: ${baseline.reason}`);
  }
  mkdirSync(RESULTS, { recursive: true });

  const cleanups = cleanupStack();
  const cleanUp = cleanups.cleanUp;
  // The rows measured: which ids the run has, less those --only leaves out (ids do not depend
  // on the ETag or the generated slug, known later).
  const selected = selectRows(rowsFor(flags.articles, '', flags.articles > 1 ? 'generated' : undefined), flags.only, flags.articles).map((r) => r.id);
  const needed = new Set<Server>(['cache-on', ...rowsFor(flags.articles, '', 'generated').filter((r) => selected.includes(r.id)).map((r) => r.server)]);

  // Whatever happens, the run ends: boots + generation + rows, with a wide margin.
  const budgetMs = (20 * 60 + (flags.articles / 100_000) * 30 * 60 + selected.length * CONNECTIONS.length * (duration + warmup + 1)) * 1000;
  const watchdog = setTimeout(() => {
    say(`the run took longer than ${Math.round(budgetMs / 60000)} minutes: stopping`);
    void cleanUp().finally(() => process.exit(1));
  }, budgetMs);
  watchdog.unref();

  try {
    const database = await freshDatabase();
    cleanups.push(database.dispose);
    say(`database: ${database.where}`);

    const children: Partial<Record<Server, Child>> = {};
    const startApp = async (server: Exclude<Server, 'bare'>, seed: boolean) => {
      const child = await startChild(server, ['--serve', ...(seed ? ['--seed'] : [])], childEnv({ DATABASE_URL: database.url, ...SERVER_ENV[server] }));
      cleanups.push(child.stop);
      children[server] = child;
    };
    say('starting the app with the response cache on, and seeding the story…');
    await startApp('cache-on', true);

    let generatedIn: number | undefined;
    let generatedSlug: string | undefined;
    if (flags.articles > 1) {
      say(`generating ${(flags.articles - 1).toLocaleString('en-US')} more published articles…`);
      const t0 = Date.now();
      generatedSlug = await generateArticles(database.url, flags.articles - 1);
      generatedIn = (Date.now() - t0) / 1000;
      say(`generated in ${generatedIn.toFixed(1)} s`);
    }

    if (needed.has('cache-off')) {
      say('starting the app with the response cache off…');
      await startApp('cache-off', false);
    }
    if (needed.has('stock')) {
      say('starting the app stock (response cache off, READ_MODEL_SERVE=false)…');
      await startApp('stock', false);
    }

    const ports: Partial<Record<Server, number>> = {};
    for (const [server, child] of Object.entries(children)) ports[server as Server] = child.port;
    const probed = await probe(ports, rowsFor(flags.articles, '', generatedSlug).filter((r) => selected.includes(r.id)), flags.articles);
    const rows = rowsFor(flags.articles, probed.etag, generatedSlug).filter((r) => selected.includes(r.id));
    for (const why of probed.mismatched.values()) say(why);

    if (needed.has('bare')) {
      const base64 = (c: Captured): BareAnswer => ({ status: c.status, headers: c.headers, body: c.body.toString('base64') });
      const payload: BarePayload = { get: base64(probed.article), notModified: base64(probed.notModified), etag: probed.etag, post: base64(probed.graphql) };
      const bare = await startChild('bare', ['--bare'], childEnv({}), payload);
      cleanups.push(bare.stop);
      children.bare = bare;
      ports.bare = bare.port;
      // The bare rows answer exactly what the app answered: status, bytes, and headers but the date.
      const headerLines = (headers: IncomingHttpHeaders) =>
        Object.entries(headers)
          .filter(([name]) => name !== 'date')
          .map(([name, value]) => `${name}: ${String(value)}`)
          .sort()
          .join('\n');
      const appAnswers: Record<number, [number, Captured]> = { 1: [2, probed.article], 11: [3, probed.notModified], 12: [5, probed.graphql] };
      for (const row of rows.filter((r) => r.server === 'bare')) {
        const [appRow, app] = appAnswers[row.id];
        const answer = await request(bare.port, row);
        expect(answer.status === app.status, `(${row.id}) answers ${answer.status}, (${appRow}) ${app.status}`);
        expect(answer.body.equals(app.body), `(${row.id}) does not answer the bytes of (${appRow})`);
        expect(headerLines(answer.headers) === headerLines(app.received), `(${row.id}) does not answer the headers of (${appRow}):\n${headerLines(answer.headers)}\nvs\n${headerLines(app.received)}`);
      }
    }

    const measured: Measured = new Map();
    const raw: Record<string, unknown> = {};
    const childOf = (server: Server) => children[server] as Child;
    const portOf = (server: Server) => childOf(server).port;
    const profiles: Array<{ row: Row; conns: number; file: string }> = [];
    const sql = new Map<number, { perRequest: number; statements: string[] }>();
    for (const row of rows) if (row.server !== 'bare') sql.set(row.id, await sqlPerRequest(childOf(row.server), row));
    // The stock app is told READ_MODEL_SERVE=false; an app that does not know the variable serves
    // as the cache-off app does, and then sends the same SQL.
    for (const [id, twin] of [[9, 10], [7, 13]]) {
      const a = sql.get(id)?.statements;
      const b = sql.get(twin)?.statements;
      if (a && b && a.length > 0 && a.join('\n') === b.join('\n')) {
        const note = `(${twin}) sends the same SQL as (${id}): the stock app served it as the cache-off app does (does the app know READ_MODEL_SERVE=false?).`;
        say(note);
        probed.notes.push(note);
      }
    }
    for (const conns of CONNECTIONS) {
      if (warmup > 0) for (const row of rows) await warmUp(portOf(row.server), row, conns, warmup);
      const measurements = new Map(rows.map((row) => [row.id, new Measurement(row.expectStatus, sql.get(row.id)?.perRequest)]));
      // Round-robin slices: load from elsewhere on the machine falls on every row alike.
      for (let round = 0; round < rounds; round += 1) {
        for (const row of rows) {
          const child = childOf(row.server);
          // Profiles are large: under .tmp/ (git-ignored), summarised in the report.
          const file = join(ROOT, '.tmp', 'bench-profiles', `${outName}-${row.id}-${conns}.cpuprofile`);
          const around =
            flags.cpuProf && row.server !== 'bare'
              ? {
                  before: async () => void (await ask(child, { type: 'profile-start' })),
                  after: async () => void (await ask(child, { type: 'profile-stop', file })),
                }
              : undefined;
          await measureSlice(measurements.get(row.id) as Measurement, portOf(row.server), row, conns, duration / rounds, around);
          if (around) profiles.push({ row, conns, file });
        }
      }
      for (const row of rows) {
        const measurement = measurements.get(row.id) as Measurement;
        const stats = measurement.stats();
        if (!measured.has(row.id)) measured.set(row.id, new Map());
        measured.get(row.id)?.set(conns, stats);
        raw[`${row.id}@${conns}`] = { row, conns, stats, autocannon: measurement.raw };
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
    const verdicts = evaluateTargets({ measured, connections: CONNECTIONS, articles: flags.articles, mismatched: probed.mismatched, baseline });
    if (baseline?.found) {
      const sources = new Set<string>();
      for (const row of rows) for (const conns of CONNECTIONS) {
        const source = baseline.figure(row.id, conns)?.source;
        if (source) sources.add(source);
      }
      info.notes.push(
        `Cost growth: each row's cost (1 / req/s) against its cost in the newest \`--articles ${COST.baseArticles}\` run of this commit that measured it (${[...sources].map((f) => `\`${f}\``).join(', ')}); within target at ≤ ${COST.max} ×.`
      );
    }
    const gitAfter = gitState();
    const unwritten = whyNotWritten(gitBefore, gitAfter);
    info.commit = gitBefore ? `${gitBefore.short}${unwritten ? ' + uncommitted changes (not written to bench/results/)' : ''}` : 'unknown';
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
    console.log(markdown + summaries);
    const notMet = missed(verdicts);
    if (unwritten || !gitAfter) {
      say(`not written to bench/results/: ${unwritten}; commit (or stash) and run again to keep the figures`);
    } else {
      const results: ResultsFile = {
        schema: RESULTS_SCHEMA,
        commit: gitAfter.commit,
        info: { ...info, started: info.started.toISOString() },
        results: raw as ResultsFile['results'],
        targets: verdicts,
        missed: notMet,
        sql: Object.fromEntries(sql),
      };
      writeFileSync(join(RESULTS, `${outName}.md`), markdown + summaries);
      writeFileSync(join(RESULTS, `${outName}.json`), JSON.stringify(results, null, 2));
      say(`wrote bench/results/${outName}.md and ${outName}.json (commit ${gitAfter.short})`);
    }
    if (verdicts.length === 0) say('targets: none among the rows measured');
    else if (notMet.length === 0) say(`targets: all ${verdicts.length} met`);
    else {
      say(`targets: ${notMet.length} of ${verdicts.length} NOT met:`);
      for (const verdict of notMet) say(`  target missed: ${describeMissed(verdict)}`);
    }
    return exitStatus(verdicts);
  } finally {
    clearTimeout(watchdog);
    await cleanUp();
    cleanups.release();
  }
}

/**
 * The rows `--only` names (all without it), with the rows their targets compare them with: a
 * target is always decided against figures of the same run.
 */
function selectRows(all: Row[], only: number[] | undefined, articles: number): Row[] {
  if (!only) return all;
  const wanted = new Set(only);
  for (let grown = true; grown; ) {
    grown = false;
    for (const id of [...wanted]) {
      for (const reference of referencesOf(id, articles)) {
        if (wanted.has(reference) || !all.some((r) => r.id === reference)) continue;
        wanted.add(reference);
        grown = true;
        say(`--only: (${reference}) measured too, for the targets of (${id})`);
      }
    }
  }
  const unknown = only.filter((id) => !all.some((r) => r.id === id));
  if (unknown.length > 0) say(`--only: no row ${unknown.map((id) => `(${id})`).join(', ')} in this run`);
  return all.filter((r) => wanted.has(r.id));
}
