import { percentile } from '../../scripts/lib/stats';

describe('percentile (nearest rank), shared by the bench and the soak', () => {
  const oneTo100 = Array.from({ length: 100 }, (_, i) => i + 1);

  it('is the smallest value with at least p % of the values at or below it', () => {
    expect(percentile(oneTo100, 50)).toBe(50);
    expect(percentile(oneTo100, 99)).toBe(99);
    expect(percentile(oneTo100, 100)).toBe(100);
    expect(percentile(oneTo100, 0)).toBe(1);
    // 7 / 100 × 100 is 7.000000000000001 in floating point: the rank must still be 7.
    expect(percentile(oneTo100, 7)).toBe(7);
    expect(percentile([1, 2, 3], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile(Array.from({ length: 10 }, (_, i) => i + 1), 99)).toBe(10);
  });

  it('takes float latencies in a typed array and never interpolates', () => {
    const sorted = Float64Array.from([0.25, 0.5, 1.75, 2.5]);
    expect(percentile(sorted, 50)).toBe(0.5);
    expect(percentile(sorted, 99)).toBe(2.5);
    expect(percentile([4.2], 1)).toBe(4.2);
  });

  it('has no value without measurements, and refuses a p outside 0..100', () => {
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile(oneTo100, 101)).toThrow(RangeError);
    expect(() => percentile(oneTo100, Number.NaN)).toThrow(RangeError);
  });
});
