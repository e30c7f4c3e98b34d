import { diffLines, formatDiff, MAX_DIFF_CELLS } from '../../src/revisions/diff';

describe('the revision diff', () => {
  it('shows what was removed and added, line by line', () => {
    expect(formatDiff(diffLines(['a', 'b', 'c'], ['a', 'x', 'c']))).toBe('  a\n- b\n+ x\n  c');
  });

  it('two very large revisions: bounded memory, common lines matched, the rest shown whole', () => {
    const size = Math.ceil(Math.sqrt(MAX_DIFF_CELLS)) * 5; // a table 25 × the bound
    const before = Array.from({ length: size }, (_, i) => `old ${i}`);
    const after = Array.from({ length: size }, (_, i) => `new ${i}`);
    const heap = process.memoryUsage().heapUsed;
    const lines = diffLines(['same start', ...before, 'same end'], ['same start', ...after, 'same end']);
    expect(process.memoryUsage().heapUsed - heap).toBeLessThan(200 * 1024 * 1024);
    expect(lines[0]).toEqual({ op: 'same', text: 'same start' });
    expect(lines[lines.length - 1]).toEqual({ op: 'same', text: 'same end' });
    expect(lines.filter((l) => l.op === 'removed')).toHaveLength(size);
    expect(lines.filter((l) => l.op === 'added')).toHaveLength(size);
  });
});
