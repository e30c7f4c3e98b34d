import { diffLines, formatDiff, MAX_EDIT_LENGTH } from '../../src/revisions/diff';

describe('the revision diff', () => {
  it('shows what was removed and added, line by line', () => {
    expect(formatDiff(diffLines(['a', 'b', 'c'], ['a', 'x', 'c']))).toBe('  a\n- b\n+ x\n  c');
    expect(formatDiff(diffLines(['a', 'b', 'c', 'd'], ['b', 'c', 'e', 'd', 'f']))).toBe('- a\n  b\n  c\n+ e\n  d\n+ f');
    expect(diffLines([], ['new'])).toEqual([{ op: 'added', text: 'new' }]);
    expect(diffLines(['old'], [])).toEqual([{ op: 'removed', text: 'old' }]);
  });

  it('two very large revisions: bounded memory, common lines matched, the rest shown whole', () => {
    const size = MAX_EDIT_LENGTH * 2; // twice as many edits as the diff may make
    const before = Array.from({ length: size }, (_, i) => `old ${i}`);
    const after = Array.from({ length: size }, (_, i) => `new ${i}`);
    const heap = process.memoryUsage().heapUsed;
    const started = Date.now();
    const lines = diffLines(['same start', ...before, 'same end'], ['same start', ...after, 'same end']);
    expect(process.memoryUsage().heapUsed - heap).toBeLessThan(200 * 1024 * 1024);
    expect(Date.now() - started).toBeLessThan(20_000); // seconds, not the minutes of an unbounded diff
    expect(lines[0]).toEqual({ op: 'same', text: 'same start' });
    expect(lines[lines.length - 1]).toEqual({ op: 'same', text: 'same end' });
    expect(lines.filter((l) => l.op === 'removed')).toHaveLength(size);
    expect(lines.filter((l) => l.op === 'added')).toHaveLength(size);
  });
});
