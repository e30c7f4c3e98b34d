export type DiffLine = { op: 'same' | 'added' | 'removed'; text: string };

// The largest table the line diff fills (cells of n × m, after the common start and end are set
// aside): about 16 MB. Past it, the changed middle is shown as removed, then added.
export const MAX_DIFF_CELLS = 2_000_000;

/**
 * A line diff (longest common subsequence): what an editor reads to see what changed. Bounded in
 * memory: the common first and last lines are matched directly, and a middle too large for the
 * table is shown whole, removed then added.
 */
export function diffLines(before: string[], after: string[]): DiffLine[] {
  let start = 0;
  while (start < before.length && start < after.length && before[start] === after[start]) start += 1;
  let end = 0;
  while (end < before.length - start && end < after.length - start && before[before.length - 1 - end] === after[after.length - 1 - end]) end += 1;
  const head = before.slice(0, start).map((text): DiffLine => ({ op: 'same', text }));
  const tail = before.slice(before.length - end).map((text): DiffLine => ({ op: 'same', text }));
  const oldMiddle = before.slice(start, before.length - end);
  const newMiddle = after.slice(start, after.length - end);
  const middle =
    (oldMiddle.length + 1) * (newMiddle.length + 1) > MAX_DIFF_CELLS
      ? [...oldMiddle.map((text): DiffLine => ({ op: 'removed', text })), ...newMiddle.map((text): DiffLine => ({ op: 'added', text }))]
      : lcsDiff(oldMiddle, newMiddle);
  return [...head, ...middle, ...tail];
}

function lcsDiff(before: string[], after: string[]): DiffLine[] {
  const n = before.length;
  const m = after.length;
  // One typed array: (n + 1) × (m + 1) lengths, row by row.
  const width = m + 1;
  const lcs = new Uint32Array((n + 1) * width);
  const at = (i: number, j: number) => lcs[i * width + j];
  for (let i = n - 1; i >= 0; i -= 1) {
    for (let j = m - 1; j >= 0; j -= 1) {
      lcs[i * width + j] = before[i] === after[j] ? at(i + 1, j + 1) + 1 : Math.max(at(i + 1, j), at(i, j + 1));
    }
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (before[i] === after[j]) {
      out.push({ op: 'same', text: before[i] });
      i += 1;
      j += 1;
    } else if (at(i + 1, j) >= at(i, j + 1)) {
      out.push({ op: 'removed', text: before[i] });
      i += 1;
    } else {
      out.push({ op: 'added', text: after[j] });
      j += 1;
    }
  }
  while (i < n) out.push({ op: 'removed', text: before[i++] });
  while (j < m) out.push({ op: 'added', text: after[j++] });
  return out;
}

/** The same diff as text: `- ` removed, `+ ` added, `  ` unchanged. */
export function formatDiff(lines: DiffLine[]): string {
  return lines.map((l) => `${l.op === 'added' ? '+' : l.op === 'removed' ? '-' : ' '} ${l.text}`).join('\n');
}
