import { diffArrays } from 'diff';

export type DiffLine = { op: 'same' | 'added' | 'removed'; text: string };

// The most lines a diff may remove and add before it gives up (jsdiff's Myers diff costs time and
// memory in proportion to the edits): past it, the two versions are shown whole, removed then
// added, after the lines they start and end with in common.
export const MAX_EDIT_LENGTH = 2_000;

/** A line diff (jsdiff, Myers): what an editor reads to see what changed. Bounded in time and memory. */
export function diffLines(before: string[], after: string[]): DiffLine[] {
  const changes = diffArrays(before, after, { maxEditLength: MAX_EDIT_LENGTH });
  if (changes) {
    return changes.flatMap((change) =>
      change.value.map((text): DiffLine => ({ op: change.added ? 'added' : change.removed ? 'removed' : 'same', text }))
    );
  }
  let start = 0;
  while (start < before.length && start < after.length && before[start] === after[start]) start += 1;
  let end = 0;
  while (end < before.length - start && end < after.length - start && before[before.length - 1 - end] === after[after.length - 1 - end]) end += 1;
  return [
    ...before.slice(0, start).map((text): DiffLine => ({ op: 'same', text })),
    ...before.slice(start, before.length - end).map((text): DiffLine => ({ op: 'removed', text })),
    ...after.slice(start, after.length - end).map((text): DiffLine => ({ op: 'added', text })),
    ...before.slice(before.length - end).map((text): DiffLine => ({ op: 'same', text })),
  ];
}

/** The same diff as text: `- ` removed, `+ ` added, `  ` unchanged. */
export function formatDiff(lines: DiffLine[]): string {
  return lines.map((l) => `${l.op === 'added' ? '+' : l.op === 'removed' ? '-' : ' '} ${l.text}`).join('\n');
}
