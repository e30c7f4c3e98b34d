import { edgeVerdicts, type EdgeFigures } from '../../scripts/bench/edge';
import { describeDifference, firstDifference } from '../../scripts/bench/probe';
import { findBaseline, whyNotWritten, type ResultsFile } from '../../scripts/bench/results';
import { describeMissed, evaluateTargets, exitStatus, missed, referencesOf, type CostBaseline, type Measured, type Stats } from '../../scripts/bench/targets';

const stats = (rps: number, extra: Partial<Stats> = {}): Stats => ({
  rps,
  p50: 1,
  p99: 2,
  requests: Math.round(rps * 2),
  errors: 0,
  timeouts: 0,
  unexpected: 0,
  statusCodes: { 200: Math.round(rps * 2) },
  ...extra,
});

/** Rows by id, the same figures at 10 and 50 connections. */
function measured(rows: Record<number, Stats>): Measured {
  return new Map(Object.entries(rows).map(([id, s]) => [Number(id), new Map([10, 50].map((c) => [c, s]))]));
}

const CONNECTIONS = [10, 50] as const;

describe('bench targets: met or missed, from the measured rows only', () => {
  const good = {
    1: stats(10_000),
    11: stats(11_000),
    12: stats(9_000),
    2: stats(8_000),
    3: stats(9_000),
    4: stats(1_000),
    5: stats(5_000),
    6: stats(50),
    9: stats(1_000),
    10: stats(100),
    7: stats(600),
    13: stats(20),
  };

  it('meets every target of a good run, and exits 0', () => {
    const verdicts = evaluateTargets({ measured: measured(good), connections: CONNECTIONS, articles: 1 });
    expect(verdicts.map((v) => `${v.row}@${v.conns} ${v.text}`)).toEqual([
      '2@10 ≥ 0.7 × (1)',
      '3@10 ≥ 0.5 × (11)',
      '4@10 ≥ 10 × (6)',
      '5@10 ≥ 0.25 × (12)',
      '9@10 ≥ 5 × (10)',
      '7@10 ≥ 0.5 × (4)',
      '2@50 ≥ 0.7 × (1)',
      '3@50 ≥ 0.5 × (11)',
      '4@50 ≥ 10 × (6)',
      '5@50 ≥ 0.25 × (12)',
      '9@50 ≥ 5 × (10)',
      '7@50 ≥ 0.5 × (4)',
      '2@50 p99 ≤ 3 × p99 of (1)',
    ]);
    expect(missed(verdicts)).toEqual([]);
    expect(exitStatus(verdicts)).toBe(0);
  });

  it('misses a ratio below its line, says what was measured, and exits 1', () => {
    const verdicts = evaluateTargets({ measured: measured({ ...good, 2: stats(6_900) }), connections: CONNECTIONS, articles: 1 });
    expect(missed(verdicts).map(describeMissed)).toEqual([
      '(2) at 10 connections: target ≥ 0.7 × (1), measured 0.690 × (1)',
      '(2) at 50 connections: target ≥ 0.7 × (1), measured 0.690 × (1)',
    ]);
    expect(exitStatus(verdicts)).toBe(1);
  });

  it('compares the 304 and the GraphQL rows with the bare rows answering like them, not with (1)', () => {
    // (3) at 0.52 × (1) but 0.473 × (11), the bare 304; (5) at 0.3 × (1) but 0.2 × (12), the bare GraphQL answer.
    const verdicts = evaluateTargets({ measured: measured({ ...good, 3: stats(5_200), 5: stats(3_000), 12: stats(15_000) }), connections: [10], articles: 1 });
    expect(missed(verdicts).map(describeMissed)).toEqual([
      '(3) at 10 connections: target ≥ 0.5 × (11), measured 0.473 × (11)',
      '(5) at 10 connections: target ≥ 0.25 × (12), measured 0.200 × (12)',
    ]);
  });

  it('GraphQL without the cache at 5 × stock GraphQL, the list at half the by-slug row ((8) with --articles)', () => {
    const slow = evaluateTargets({ measured: measured({ ...good, 9: stats(490), 7: stats(499) }), connections: [10], articles: 1 });
    expect(missed(slow).map(describeMissed)).toEqual([
      '(9) at 10 connections: target ≥ 5 × (10), measured 4.9 × (10)',
      '(7) at 10 connections: target ≥ 0.5 × (4), measured 0.50 × (4)',
    ]);
    // With --articles the list is compared with the generated article by slug, (8), not (4).
    const scaled = evaluateTargets({ measured: measured({ ...good, 8: stats(2_000) }), connections: [10], articles: 10_000 });
    expect(missed(scaled).map(describeMissed)).toEqual(['(7) at 10 connections: target ≥ 0.5 × (8), measured 0.30 × (8)']);
  });

  it('misses the target of a row whose answer differs from its stock twin, whatever the ratio', () => {
    const verdicts = evaluateTargets({
      measured: measured(good),
      connections: [10],
      articles: 1,
      mismatched: new Map([[9, '(9) and (10) answer different bytes']]),
    });
    expect(missed(verdicts).map(describeMissed)).toEqual(['(9) at 10 connections: target ≥ 5 × (10), measured 10.0 × (10); (9) and (10) answer different bytes']);
    expect(exitStatus(verdicts)).toBe(1);
  });

  it('a ratio exactly on its line is met', () => {
    expect(exitStatus(evaluateTargets({ measured: measured({ ...good, 2: stats(7_000) }), connections: CONNECTIONS, articles: 1 }))).toBe(0);
  });

  it('misses a target whose row or reference had unexpected answers, whatever the ratio', () => {
    const ownErrors = evaluateTargets({ measured: measured({ ...good, 4: stats(1_000, { unexpected: 3 }) }), connections: CONNECTIONS, articles: 1 });
    expect(missed(ownErrors).map((v) => `${v.row}: ${v.value}`)).toEqual([
      '4: 20.0 × (6); (4) had 3 unexpected answers',
      '7: 0.60 × (4); (4) had 3 unexpected answers', // (4) is also the list's reference
      '4: 20.0 × (6); (4) had 3 unexpected answers',
      '7: 0.60 × (4); (4) had 3 unexpected answers',
    ]);
    const referenceSilent = evaluateTargets({ measured: measured({ ...good, 6: stats(0, { requests: 0 }) }), connections: CONNECTIONS, articles: 1 });
    expect(missed(referenceSilent).map((v) => v.row)).toEqual([4, 4]);
  });

  it('decides only the targets whose row was measured, and misses one whose reference was not', () => {
    const onlyTwo = evaluateTargets({ measured: measured({ 1: good[1], 2: good[2] }), connections: CONNECTIONS, articles: 1 });
    expect(onlyTwo.every((v) => v.row === 2 && v.met)).toBe(true);
    const noReference = evaluateTargets({ measured: measured({ 2: good[2] }), connections: [10], articles: 1 });
    expect(noReference).toEqual([{ kind: 'ratio', row: 2, conns: 10, text: '≥ 0.7 × (1)', value: '(1) not measured', met: false }]);
    expect(exitStatus(noReference)).toBe(1);
  });

  it('misses the p99 target when (2) is more than 3 × slower than (1) at 50 connections', () => {
    const rows = measured(good);
    rows.get(2)?.set(50, stats(8_000, { p99: 6.5 }));
    expect(missed(evaluateTargets({ measured: rows, connections: CONNECTIONS, articles: 1 })).map(describeMissed)).toEqual([
      '(2) at 50 connections: target p99 ≤ 3 × p99 of (1), measured 6.50 ms vs 2.00 ms = 3.25 ×',
    ]);
  });

  it('names the rows a row is compared with, so that --only measures them too', () => {
    expect(referencesOf(2, 1)).toEqual([1]);
    expect(referencesOf(3, 1)).toEqual([11]);
    expect(referencesOf(5, 1)).toEqual([12]);
    expect(referencesOf(4, 1)).toEqual([6]);
    expect(referencesOf(9, 1)).toEqual([10]);
    // The list: its by-slug row (4), or (8) with --articles, and its stock twin (13).
    expect(referencesOf(7, 1)).toEqual([4, 13]);
    expect(referencesOf(7, 1000)).toEqual([8, 13]);
    expect(referencesOf(1, 1)).toEqual([]);
  });
});

describe('first difference between two answers', () => {
  it('gives the offset and the bytes around it from each answer', () => {
    const a = Buffer.from('{"data":{"headline":"Putin visits"}}');
    const b = Buffer.from('{"data":{"headline":"Putin visit"}}');
    expect(firstDifference(a, b, 5)).toEqual({ offset: 32, a: '…visits\\"}}', b: '…visit\\"}}' });
    expect(firstDifference(a, Buffer.from(a))).toBeUndefined();
    expect(firstDifference(Buffer.from('abc'), Buffer.from('abcd'))?.offset).toBe(3);
    expect(firstDifference(Buffer.from('xbc'), Buffer.from('abc'))?.offset).toBe(0);
    expect(describeDifference(7, Buffer.from('[1,2]'), 13, Buffer.from('[1,3]'))).toBe(
      '(7) and (13) answer different bytes (5 and 5); first difference at byte 3: (7) `[1,2]` / (13) `[1,3]`'
    );
  });
});

describe('cost growth: --articles 100000 against a --articles 1000 run of the same commit', () => {
  const at1000 = { 1: 10_000, 7: 40, 8: 500 } as Record<number, number>;
  const baseline: CostBaseline = {
    found: true,
    figure: (row, conns) => (at1000[row] === undefined || conns !== 10 ? undefined : { rps: at1000[row], source: 'bench/results/articles-1000.json' }),
  };
  const cost = (rows: Record<number, Stats>, input: { articles?: number; baseline?: CostBaseline } = {}) =>
    evaluateTargets({ measured: measured(rows), connections: [10], articles: input.articles ?? 100_000, baseline: input.baseline ?? baseline }).filter((v) => v.kind === 'cost');

  it('is met while a row costs at most 2 × what it cost at 1,000 articles, missed beyond', () => {
    const verdicts = cost({ 1: stats(9_000), 7: stats(20), 8: stats(240) });
    expect(verdicts.map((v) => `${v.row} ${v.met ? 'met' : 'missed'}: ${v.value}`)).toEqual([
      '1 met: 1.11 × (10000.0 → 9000.0 req/s)',
      '7 met: 2.00 × (40.0 → 20.0 req/s)',
      '8 missed: 2.08 × (500.0 → 240.0 req/s)',
    ]);
    expect(describeMissed(verdicts[2])).toBe('(8) at 10 connections: target cost ≤ 2 × cost at 1,000 articles, measured 2.08 × (500.0 → 240.0 req/s)');
  });

  it('misses a row the 1,000 run did not measure', () => {
    expect(cost({ 13: stats(20) }).map((v) => [v.row, v.met, v.value])).toEqual([
      [13, false, 'no figure for (13) at 10 connections in a --articles 1000 run of this commit'],
    ]);
  });

  it('without a 1,000 run of the same commit, is missed for the run, with the reason, and the bench exits 1', () => {
    const none: CostBaseline = { found: false, reason: 'no --articles 1000 run of commit abc1234 in bench/results/*.json' };
    const verdicts = evaluateTargets({ measured: measured({ 1: stats(9_000) }), connections: [10], articles: 100_000, baseline: none });
    expect(missed(verdicts).map(describeMissed)).toEqual([
      'the run: target cost ≤ 2 × cost at 1,000 articles, no --articles 1000 run of commit abc1234 in bench/results/*.json',
    ]);
    expect(exitStatus(verdicts)).toBe(1);
  });

  it('applies to --articles 100000 runs only', () => {
    expect(cost({ 8: stats(1) }, { articles: 1_000 })).toEqual([]);
    expect(cost({ 8: stats(1) }, { articles: 1 })).toEqual([]);
  });

  const file = (name: string, commit: string, articles: number, started: string, rows: Record<string, number>) => ({
    file: `bench/results/${name}.json`,
    content: {
      schema: 2,
      commit,
      info: { command: 'npm run bench', started, articles },
      results: Object.fromEntries(Object.entries(rows).map(([key, rps]) => [key, { row: { id: Number(key.split('@')[0]), label: '' }, conns: 10, stats: stats(rps) }])),
      targets: [],
      missed: [],
      sql: {},
    } as ResultsFile,
  });

  it('takes each row from the newest 1,000-article run of the same code that measured it', () => {
    const files = [
      file('old', 'aaa', 1_000, '2026-11-01T00:00:00.000Z', { '7@10': 30, '8@10': 400 }),
      file('new', 'aaa', 1_000, '2026-11-02T00:00:00.000Z', { '7@10': 40 }),
      file('other-commit', 'bbb', 1_000, '2026-11-03T00:00:00.000Z', { '7@10': 99, '8@10': 99 }),
      file('other-size', 'aaa', 100_000, '2026-11-04T00:00:00.000Z', { '7@10': 77 }),
    ];
    const found = findBaseline(files, 'aaa', (commit) => commit === 'aaa');
    expect(found.found && found.figure(7, 10)).toEqual({ rps: 40, source: 'bench/results/new.json' });
    expect(found.found && found.figure(8, 10)).toEqual({ rps: 400, source: 'bench/results/old.json' });
    expect(found.found && found.figure(8, 50)).toBeUndefined();
    const none = findBaseline(files, 'ccc1234567', (commit) => commit === 'ccc1234567');
    expect(none).toEqual({ found: false, reason: expect.stringContaining('no --articles 1000 run of commit ccc1234') });
  });
});

describe('results are written from a committed tree only', () => {
  const state = (commit: string, changes: string[] = []) => ({ commit, short: commit.slice(0, 7), changes });

  it('writes when the tree was committed and unchanged from start to end', () => {
    expect(whyNotWritten(state('abcdef0123'), state('abcdef0123'))).toBeUndefined();
  });

  it('does not write with a change or an untracked file, a commit made during the run, or no git', () => {
    expect(whyNotWritten(state('abcdef0123', ['?? scripts/new.ts']), state('abcdef0123', ['?? scripts/new.ts']))).toBe(
      'the tree has uncommitted changes (?? scripts/new.ts)'
    );
    expect(whyNotWritten(state('abcdef0123'), state('abcdef0123', [' M src/index.ts']))).toBe('the tree has uncommitted changes (M src/index.ts)');
    expect(whyNotWritten(state('abcdef0123'), state('1234567890'))).toBe('the commit changed during the run (abcdef0 → 1234567)');
    expect(whyNotWritten(undefined, undefined)).toBe('not a git checkout');
  });
});

describe('edge targets (--edge): ×10 req/s through the edge, ≤ 1 % at the origin, p99 fresh ≤ 1 s', () => {
  const figures = (change: Partial<EdgeFigures> = {}): EdgeFigures => ({ origin: stats(1_000), edge: stats(12_000), originSharePct: 0.2, fresh: [20, 30, 40], ...change });
  const missedTargets = (f: EdgeFigures) => edgeVerdicts(f).filter((v) => !v.met).map((v) => v.target);

  it('meets all three on good figures, and exactly on their lines', () => {
    expect(missedTargets(figures())).toEqual([]);
    expect(missedTargets(figures({ edge: stats(10_000), originSharePct: 1, fresh: [1000] }))).toEqual([]);
  });

  it('misses each one past its line, with the measured value', () => {
    const verdicts = edgeVerdicts(figures({ edge: stats(9_990), originSharePct: 1.01, fresh: [...Array(98).fill(10), 1001, 1001] }));
    expect(verdicts.map((v) => [v.met, v.measured])).toEqual([
      [false, '9,990 / 1,000 = 9.99 ×'],
      [false, '1.010 %'],
      [false, '1001 ms over 100 publishes'],
    ]);
  });

  it('misses when a run had errors or non-2xx answers, the share was not read, no publish was made, or one never became fresh', () => {
    expect(missedTargets(figures({ origin: stats(1_000, { unexpected: 3 }) }))).toEqual(['edge req/s ≥ 10 × origin req/s']);
    expect(missedTargets(figures({ originSharePct: undefined }))).toEqual(['≤ 1 % of requests reach the origin']);
    expect(missedTargets(figures({ fresh: [] }))).toEqual(['p99 time to fresh at the edge ≤ 1000 ms']);
    expect(edgeVerdicts(figures({ fresh: [Infinity] }))[2]).toMatchObject({ met: false, measured: '> 10000 ms over 1 publish' });
  });
});
