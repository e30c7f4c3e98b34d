/**
 * Statistics shared by the bench and the soak, written once so that their figures mean the same.
 */

/**
 * The p-th percentile of values sorted ascending, by the nearest-rank method: the smallest value
 * such that at least p % of the values are at or below it (p 50 of 1..100 is 50, p 99 is 99,
 * p 100 the largest). NaN when there is no value. Values are not interpolated: the result is
 * always one of the measurements.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile: p must be within 0..100 (got ${p})`);
  const n = sorted.length;
  if (n === 0) return NaN;
  const rank = Math.ceil((p * n) / 100); // 1-based; p × n first, exact for whole p and n
  return sorted[Math.min(n, Math.max(1, rank)) - 1];
}
