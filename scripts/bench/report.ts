import { cpus } from 'node:os';
import { CONNECTIONS, GRAPHQL_QUERY, SERVER_ENV, type Row } from './rows';
import { SERVER_NODE_FLAGS } from '../../src/runtime/node-flags';
import { at, COST, describeMissed, missed, type Measured, type Verdict } from './targets';

/** The report: the markdown table and notes. */

export const int = (n: number) => (n > 0 && n < 10 ? n.toFixed(1) : Math.round(n).toLocaleString('en-US'));
export const ms = (n: number) => (!Number.isFinite(n) ? '–' : n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : Math.round(n).toString());

export interface RunInfo {
  command: string;
  /** The commit, short, and whether the tree had other changes. */
  commit?: string;
  started: Date;
  duration: number;
  warmup: number;
  rounds: number;
  articles: number;
  database: string;
  loadBefore: number[];
  loadAfter: number[];
  bodyBytes: number;
  notes: string[];
  generatedIn?: number;
  profiled: boolean;
}

export function report(
  info: RunInfo,
  rows: Row[],
  measured: Measured,
  verdicts: Verdict[],
  sql: Map<number, { perRequest: number; statements: string[] }>
): string {
  const lines: string[] = [];
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
  lines.push('# Bench: read paths against a bare Node server');
  lines.push('');
  lines.push(`Command: \`${info.command}\``);
  lines.push('');
  lines.push(
    `${info.started.toISOString()} · commit ${info.commit ?? 'unknown'} · Node ${process.version} · ${cpus().length} CPUs (${cpus()[0]?.model.trim() ?? '?'}) · ` +
      `load average ${load(info.loadBefore)} before, ${load(info.loadAfter)} after · autocannon on 127.0.0.1, ` +
      `${info.duration} s per row${info.rounds > 1 ? ` (${info.rounds} round-robin slices of ${+(info.duration / info.rounds).toFixed(2)} s)` : ''} after ${info.warmup} s warm-up, pipelining 1 · ${info.articles.toLocaleString('en-US')} published article(s)` +
      `${info.generatedIn !== undefined ? ` (${(info.articles - 1).toLocaleString('en-US')} generated in ${info.generatedIn.toFixed(0)} s)` : ''} · ${info.database} · ` +
      `body of (2): ${info.bodyBytes.toLocaleString('en-US')} bytes`
  );
  lines.push('');
  lines.push('| # | request | conns | req/s | p50 ms | p99 ms | SQL/req | × bare | target | measured | met |');
  lines.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |');
  const met = (verdict: Verdict) => (verdict.met ? 'met' : '**not met**');
  for (const row of rows) {
    for (const conns of CONNECTIONS) {
      const stats = at(measured, row.id, conns);
      if (!stats) continue;
      const bare = row.bare === undefined ? undefined : at(measured, row.bare, conns);
      const [verdict, ...more] = verdicts.filter((v) => v.row === row.id && v.conns === conns && v.kind !== 'p99');
      const flaw = stats.requests === 0 ? ' ⚠ no answer completed within the row' : stats.unexpected > 0 ? ` ⚠ ${stats.unexpected} unexpected answers (${JSON.stringify(stats.statusCodes)}, ${stats.errors} errors)` : '';
      lines.push(
        `| ${row.id} | ${row.label}${flaw} | ${conns} | ${int(stats.rps)} | ${ms(stats.p50)} | ${ms(stats.p99)} | ${stats.sqlPerRequest === undefined ? '' : stats.sqlPerRequest.toFixed(1)} | ` +
          `${bare ? `${(stats.rps / bare.rps).toFixed(3)} × (${row.bare})` : ''} | ${verdict?.text ?? ''} | ${verdict?.value ?? ''} | ${verdict ? met(verdict) : ''} |`
      );
      for (const other of more) lines.push(`| ${row.id} | | ${conns} | | | | | | ${other.text} | ${other.value} | ${met(other)} |`);
    }
  }
  for (const verdict of verdicts.filter((v) => v.kind === 'p99')) {
    lines.push(`| ${verdict.row} | p99 of (${verdict.row}) at ${verdict.conns} connections | ${verdict.conns} | | | | | | ${verdict.text} | ${verdict.value} | ${met(verdict)} |`);
  }
  lines.push('');
  const notMet = missed(verdicts);
  lines.push(
    verdicts.length === 0 ? 'Targets: none among the rows measured.' : notMet.length === 0 ? `Targets: all ${verdicts.length} met.` : `Targets: **${notMet.length} of ${verdicts.length} not met**:`
  );
  if (notMet.length > 0) {
    lines.push('');
    for (const verdict of notMet) lines.push(`- ${describeMissed(verdict)}`);
  }
  lines.push('');
  lines.push('Requests:');
  lines.push('');
  for (const row of rows) {
    const extra = row.headers ? ` with ${Object.entries(row.headers).map(([k, v]) => `\`${k}: ${v.length > 40 ? `${v.slice(0, 40)}…` : v}\``).join(', ')}` : '';
    const on = row.server === 'bare' ? 'bare server' : `app, ${Object.entries(SERVER_ENV[row.server]).map(([k, v]) => `${k}=${v}`).join(', ')}`;
    lines.push(`- (${row.id}) ${on}: \`${row.method} ${row.path}\`${extra}${row.body ? ` (body: the query below)` : ''}`);
  }
  lines.push('');
  lines.push('```graphql');
  lines.push(GRAPHQL_QUERY);
  lines.push('```');
  lines.push('');
  for (const note of info.notes) lines.push(`- ${note}`);
  lines.push(
    '- Each server is its own process (the app with its response cache on, with it off, and stock — cache off and READ_MODEL_SERVE=false — ' +
      'as many as the rows measured need, on the same fresh database; the bare server), ' +
      `run with the production server's Node flags (\`${SERVER_NODE_FLAGS.join(' ')}\`, src/runtime/node-flags.ts), ` +
      'and autocannon runs in the bench process: on a 2-core machine the load generator and the server under test each get about one core. ' +
      'Figures taken while other work runs on the machine (see the load averages) are not final.'
  );
  if (info.profiled) lines.push('- Run with `--cpu-prof`: the app rows were measured under V8\'s sampling profiler, which costs a few per cent; use a run without it for the figures.');
  lines.push('- SQL/req: statements the app sends to PostgreSQL for one request of the row (knex `query` events, over 3 requests made one by one before measuring).');
  lines.push(
    '- × bare: the row\'s req/s over that of the bare row answering the same request with the same status, headers and bytes ' +
      '((1) for the article, (11) for the 304, (12) for the GraphQL POST, whose body the bare server reads before answering); ' +
      'the bare server is a plain `node:http` server, the limit of this machine with this load generator.'
  );
  lines.push('- p50/p99 are taken from every response\'s latency as a float (autocannon\'s own histogram keeps whole milliseconds; its figures are in the JSON).');
  if (info.articles > 1 && info.articles !== COST.articles) {
    lines.push(
      `- Cost growth is a target of \`--articles ${COST.articles}\` runs only: each row's cost there ≤ ${COST.max} × its cost in a \`--articles ${COST.baseArticles}\` run of the same commit (this run's JSON, if it is one).`
    );
  }
  lines.push('');
  const withSql = rows.filter((row) => (sql.get(row.id)?.statements.length ?? 0) > 0);
  if (withSql.length > 0) {
    lines.push('');
    lines.push('<details><summary>The SQL of one request, per row</summary>');
    lines.push('');
    for (const row of withSql) {
      lines.push(`(${row.id}) ${row.label}:`);
      lines.push('');
      lines.push('```sql');
      for (const statement of sql.get(row.id)?.statements ?? []) lines.push(statement.length > 400 ? `${statement.slice(0, 400)} …` : statement);
      lines.push('```');
      lines.push('');
    }
    lines.push('</details>');
    lines.push('');
  }
  return lines.join('\n');
}
