/**
 * The targets, decided from the figures of one run: a pure function of the measured rows, so the
 * bench's exit status can be tested without a server.
 */

export interface Stats {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
  timeouts: number;
  unexpected: number;
  statusCodes: Record<string, number>;
  sqlPerRequest?: number;
}
/** Results by row id and connection count. */
export type Measured = Map<number, Map<number, Stats>>;

export const at = (m: Measured, row: number, conns: number) => m.get(row)?.get(conns);

/** One target at one connection count, met or not, with what was measured. */
export interface Verdict {
  /**
   * ratio: req/s against another row of the run; p99: latency against another row; cost: the
   * cost of a request (1 / req/s) at 100,000 articles against the same row at 1,000.
   */
  kind: 'ratio' | 'p99' | 'cost';
  /** The row the target is about (none: the run as a whole, e.g. no run to compare with). */
  row?: number;
  conns?: number;
  /** The target, e.g. `≥ 0.7 × (1)`. */
  text: string;
  /** What was measured, e.g. `0.841 × (1)`, or why it could not be. */
  value: string;
  met: boolean;
}

export interface TargetInput {
  measured: Measured;
  connections: readonly number[];
  /** Published articles in the run (1 by default, more with `--articles`). */
  articles: number;
  /**
   * Rows whose answer differs from their stock twin's, checked before measuring ((9) against
   * (10), (7) against (13)), with how: their targets are missed, whatever the ratio.
   */
  mismatched?: ReadonlyMap<number, string>;
  /** With `--articles 100000`: the figures of a `--articles 1000` run of the same commit. */
  baseline?: CostBaseline;
}

/** The runs cost growth is measured in, and the line: a request at 100,000 articles costs at most 2 × what it costs at 1,000. */
export const COST = { articles: 100_000, baseArticles: 1_000, max: 2 } as const;

export type CostBaseline =
  | { found: false; reason: string }
  | {
      found: true;
      /** The row's req/s at `conns` in the newest such run that measured it, and that run's file. */
      figure(row: number, conns: number): { rps: number; source: string } | undefined;
    };

/** Row `row` at `min` × the req/s of row `reference` or more, both answered as expected. */
interface RatioTarget {
  row: number;
  reference: number;
  min: number;
  digits: number;
}

function ratioTargets(articles: number): RatioTarget[] {
  return [
    { row: 2, reference: 1, min: 0.7, digits: 3 },
    // Like for like: the 304 against the bare server's 304, the GraphQL answer against the bare
    // server answering the same POST with the same bytes and headers. A 304 has no body: what
    // the app process pays per request beside the cache lookup (Node 20's async hooks for
    // Strapi's AsyncLocalStorage, the drain's accounting) weighs more than on a 200 with a body,
    // whose line against (1) is 0.7. The 304's was 0.8 against (1), a 200 with a body.
    { row: 3, reference: 11, min: 0.5, digits: 3 },
    { row: 4, reference: 6, min: 10, digits: 1 },
    { row: 5, reference: 12, min: 0.25, digits: 3 },
    // The cold paths: GraphQL without the response cache against stock Strapi's resolvers; the
    // list without the response cache against one article by slug without it, in the same run.
    { row: 9, reference: 10, min: 5, digits: 1 },
    { row: 7, reference: articles > 1 ? 8 : 4, min: 0.5, digits: 2 },
    // Search against one article by slug, both without the response cache, in the same run.
    ...[14, 15, 16].map((row) => ({ row, reference: articles > 1 ? 8 : 4, min: 0.25, digits: 2 })),
  ];
}

/** Rows whose answer must be byte for byte that of another row, checked before measuring. */
export const TWINS: ReadonlyArray<readonly [number, number]> = [
  [9, 10],
  [7, 13],
];

/** The p99 of (2) at 50 connections ≤ 3 × the p99 of (1) at 50 connections. */
const P99 = { row: 2, reference: 1, conns: 50, max: 3 };

/**
 * The rows a row's targets compare it with, and its twin: measured with it, whatever `--only`
 * says, so that a target is always decided on figures of one run.
 */
export function referencesOf(row: number, articles: number): number[] {
  const references = ratioTargets(articles)
    .filter((t) => t.row === row)
    .map((t) => t.reference);
  for (const [a, b] of TWINS) if (a === row && !references.includes(b)) references.push(b);
  return references;
}

/** Why a row's figure cannot be used, if it cannot. */
function flaw(id: number, stats: Stats): string | undefined {
  if (stats.requests === 0) return `(${id}) completed no request`;
  if (stats.unexpected > 0) return `(${id}) had ${stats.unexpected} unexpected answers`;
  return undefined;
}

/** Every target whose row was measured, at each connection count. */
export function evaluateTargets(input: TargetInput): Verdict[] {
  const { measured } = input;
  const targets = ratioTargets(input.articles);
  const verdicts: Verdict[] = [];
  for (const conns of input.connections) {
    for (const target of targets) {
      const own = at(measured, target.row, conns);
      if (!own) continue;
      const text = `≥ ${target.min} × (${target.reference})`;
      const reference = at(measured, target.reference, conns);
      if (!reference) {
        verdicts.push({ kind: 'ratio', row: target.row, conns, text, value: `(${target.reference}) not measured`, met: false });
        continue;
      }
      const problem = input.mismatched?.get(target.row) ?? flaw(target.row, own) ?? flaw(target.reference, reference);
      const ratio = own.rps / reference.rps;
      const value = `${Number.isFinite(ratio) ? ratio.toFixed(target.digits) : '–'} × (${target.reference})${problem ? `; ${problem}` : ''}`;
      verdicts.push({ kind: 'ratio', row: target.row, conns, text, value, met: !problem && ratio >= target.min });
    }
  }
  const own = at(measured, P99.row, P99.conns);
  const reference = at(measured, P99.reference, P99.conns);
  if (own && reference) {
    const ratio = own.p99 / reference.p99;
    verdicts.push({
      kind: 'p99',
      row: P99.row,
      conns: P99.conns,
      text: `p99 ≤ ${P99.max} × p99 of (${P99.reference})`,
      value: `${own.p99.toFixed(2)} ms vs ${reference.p99.toFixed(2)} ms = ${Number.isFinite(ratio) ? ratio.toFixed(2) : '–'} ×`,
      met: ratio <= P99.max,
    });
  }
  if (input.articles === COST.articles) verdicts.push(...costVerdicts(input));
  return verdicts;
}

/** Every measured row at each connection count: cost (1 / req/s) ≤ 2 × its cost in the 1,000-article run. */
function costVerdicts(input: TargetInput): Verdict[] {
  const text = `cost ≤ ${COST.max} × cost at ${COST.baseArticles.toLocaleString('en-US')} articles`;
  const baseline = input.baseline ?? { found: false, reason: 'no baseline was looked for' };
  if (!baseline.found) return [{ kind: 'cost', text, value: baseline.reason, met: false }];
  const verdicts: Verdict[] = [];
  for (const [row, byConns] of input.measured) {
    for (const conns of input.connections) {
      const own = byConns.get(conns);
      if (!own) continue;
      const base = baseline.figure(row, conns);
      if (!base) {
        verdicts.push({ kind: 'cost', row, conns, text, value: `no figure for (${row}) at ${conns} connections in a --articles ${COST.baseArticles} run of this commit`, met: false });
        continue;
      }
      const problem = flaw(row, own);
      // cost now / cost then = (1 / rps now) / (1 / rps then)
      const growth = base.rps / own.rps;
      const value = `${Number.isFinite(growth) ? growth.toFixed(2) : '–'} × (${base.rps.toFixed(1)} → ${own.rps.toFixed(1)} req/s)${problem ? `; ${problem}` : ''}`;
      verdicts.push({ kind: 'cost', row, conns, text, value, met: !problem && growth <= COST.max });
    }
  }
  return verdicts;
}

export const missed = (verdicts: Verdict[]) => verdicts.filter((v) => !v.met);

/** The bench's exit status: 1 when any target was missed, else 0. */
export const exitStatus = (verdicts: Verdict[]) => (missed(verdicts).length > 0 ? 1 : 0);

/** One line per missed target, for stderr and the report. */
export const describeMissed = (verdict: Verdict) =>
  `${verdict.row === undefined ? 'the run' : `(${verdict.row}) at ${verdict.conns} connections`}: target ${verdict.text}, ${verdict.row === undefined ? '' : 'measured '}${verdict.value}`;
