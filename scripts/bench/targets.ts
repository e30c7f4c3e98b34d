/** The targets: ratios between rows of one run. */

export interface Target {
  row: number;
  text: string;
  check(m: Measured): { value: string; met: boolean } | undefined;
}

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

export function targetsFor(conns: number): Target[] {
  const ratioToBare = (row: number, min: number): Target => ({
    row,
    text: `≥ ${min} × (1)`,
    check: (m) => {
      const bare = at(m, 1, conns);
      const own = at(m, row, conns);
      if (!bare || !own) return undefined;
      const ratio = own.rps / bare.rps;
      return { value: `${ratio.toFixed(3)} × (1)`, met: ratio >= min && own.unexpected === 0 };
    },
  });
  return [
    ratioToBare(2, 0.7),
    ratioToBare(3, 0.8),
    {
      row: 4,
      text: '≥ 10 × (6)',
      check: (m) => {
        const own = at(m, 4, conns);
        const stock = at(m, 6, conns);
        if (!own || !stock) return undefined;
        const ratio = own.rps / stock.rps;
        return { value: `${ratio.toFixed(1)} × (6)`, met: ratio >= 10 && own.unexpected === 0 };
      },
    },
    ratioToBare(5, 0.25),
  ];
}

/** p99 of (2) at 50 connections ≤ 3 × the p99 of (1) at 50 connections. */
export function p99Target(m: Measured): { value: string; met: boolean } | undefined {
  const bare = at(m, 1, 50);
  const own = at(m, 2, 50);
  if (!bare || !own) return undefined;
  const ratio = own.p99 / bare.p99;
  return { value: `${own.p99.toFixed(2)} ms vs ${bare.p99.toFixed(2)} ms = ${ratio.toFixed(2)} ×`, met: ratio <= 3 };
}
