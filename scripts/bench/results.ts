import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RESULTS, ROOT } from './common';
import { COST, type CostBaseline, type Stats, type Verdict } from './targets';

/**
 * The results files: written only from a committed tree, stamped with its commit; each report
 * `<name>.md` (tracked) with `<name>.json` beside it (git-ignored, machine-readable). The JSON of
 * `--articles 1000` runs is what `--articles 100000` runs measure cost growth against.
 */

export const RESULTS_SCHEMA = 2;

/** What `<name>.json` holds. */
export interface ResultsFile {
  schema: typeof RESULTS_SCHEMA;
  /** The full commit the figures were measured on (the tree had no other change). */
  commit: string;
  info: { command: string; started: string; articles: number } & Record<string, unknown>;
  /** By `<row>@<conns>`. */
  results: Record<string, { row: { id: number; label: string }; conns: number; stats: Stats } & Record<string, unknown>>;
  targets: Verdict[];
  missed: Verdict[];
  sql: Record<string, unknown>;
}

export interface GitState {
  commit: string;
  short: string;
  /** `git status --porcelain` lines (untracked files included): empty when the tree is committed. */
  changes: string[];
}

const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });

export function gitState(): GitState | undefined {
  try {
    const commit = git('rev-parse', 'HEAD').trim();
    const changes = git('status', '--porcelain', '--untracked-files=all')
      .split('\n')
      .filter((line) => line.trim() !== '');
    return { commit, short: commit.slice(0, 7), changes };
  } catch {
    return undefined;
  }
}

/** Why results may not be written for this run, if they may not: only figures of a committed tree are kept. */
export function whyNotWritten(before: GitState | undefined, after: GitState | undefined): string | undefined {
  if (!before || !after) return 'not a git checkout';
  if (before.commit !== after.commit) return `the commit changed during the run (${before.short} → ${after.short})`;
  const changes = before.changes.length > 0 ? before.changes : after.changes;
  if (changes.length > 0) {
    const shown = changes.slice(0, 5).map((line) => line.trim());
    return `the tree has uncommitted changes (${shown.join(', ')}${changes.length > shown.length ? `, … ${changes.length} in all` : ''})`;
  }
  return undefined;
}

/**
 * True when `commit` measured the same code as HEAD: it is HEAD, or an ancestor from which HEAD
 * differs only under bench/results/ (the 1,000-article results committed between the two runs).
 */
export function sameCode(commit: string, head: string): boolean {
  if (commit === head) return true;
  try {
    git('merge-base', '--is-ancestor', commit, head);
    return git('diff', '--name-only', commit, head, '--', '.', ':(exclude)bench/results').trim() === '';
  } catch {
    return false;
  }
}

/** The results files under bench/results/, parsed; those that are not results files of this schema are left out. */
export function readResultsFiles(dir = RESULTS): Array<{ file: string; content: ResultsFile }> {
  const found: Array<{ file: string; content: ResultsFile }> = [];
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((name) => name.endsWith('.json'));
  } catch {
    return found;
  }
  for (const name of names) {
    try {
      const content = JSON.parse(readFileSync(join(dir, name), 'utf8')) as ResultsFile;
      if (content?.schema === RESULTS_SCHEMA && typeof content.commit === 'string' && content.results) found.push({ file: `bench/results/${name}`, content });
    } catch {
      // not ours, or cut short
    }
  }
  return found;
}

/**
 * The figures cost growth is measured against: each row's in the newest `--articles 1000` run of
 * the same code as `head` that measured it.
 */
export function findBaseline(files: Array<{ file: string; content: ResultsFile }>, head: string, isSameCode: (commit: string) => boolean): CostBaseline {
  const runs = files
    .filter(({ content }) => content.info?.articles === COST.baseArticles && isSameCode(content.commit))
    .sort((a, b) => String(b.content.info.started).localeCompare(String(a.content.info.started)));
  if (runs.length === 0) {
    return {
      found: false,
      reason:
        `no --articles ${COST.baseArticles} run of commit ${head.slice(0, 7)} in bench/results/*.json: ` +
        `run \`npm run bench -- --articles ${COST.baseArticles}\` (same flags) on this commit first`,
    };
  }
  return {
    found: true,
    figure: (row, conns) => {
      for (const { file, content } of runs) {
        const stats = content.results[`${row}@${conns}`]?.stats;
        if (stats && stats.requests > 0) return { rps: stats.rps, source: file };
      }
      return undefined;
    },
  };
}
