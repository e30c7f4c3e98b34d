import { parseArgs as parseArgv } from 'node:util';
/** The bench's command line. */
import { z } from 'zod';

/** Articles in the database unless `--articles` says otherwise: lists of 20 need more than one. */
export const DEFAULT_ARTICLES = 1000;

export const Flags = z
  .object({
    duration: z.coerce.number().positive().max(600).optional(),
    articles: z.coerce.number().int().min(1).max(1_000_000).default(DEFAULT_ARTICLES),
    quick: z.boolean().default(false),
    only: z
      .string()
      .regex(/^\d+(,\d+)*$/, 'a comma-separated list of row numbers, e.g. 1,5')
      .transform((s) => s.split(',').map(Number))
      .optional(),
    rounds: z.coerce.number().int().min(1).max(60).optional(),
    cpuProf: z.boolean().default(false),
    // A breaking-news spike through the edge (Varnish) instead of the read-path rows: edge.ts.
    edge: z.boolean().default(false),
    out: z.string().regex(/^[A-Za-z0-9._-]+$/, 'a plain file name').optional(),
  })
  .strict();
export type Flags = z.infer<typeof Flags>;

export const USAGE = 'usage: npm run bench -- [--duration <s>] [--articles <n>] [--quick] [--rounds <n>] [--only <ids>] [--cpu-prof] [--out <name>] | [--edge] [--duration <s>] [--quick]';

export function parseFlags(argv: string[]): Flags {
  let raw: Record<string, unknown>;
  try {
    const { values } = parseArgv({
      args: argv,
      strict: true,
      options: {
        duration: { type: 'string' },
        articles: { type: 'string' },
        only: { type: 'string' },
        out: { type: 'string' },
        rounds: { type: 'string' },
        quick: { type: 'boolean' },
        'cpu-prof': { type: 'boolean' },
        edge: { type: 'boolean' },
      },
    });
    const { 'cpu-prof': cpuProf, ...rest } = values;
    raw = { ...rest, ...(cpuProf === undefined ? {} : { cpuProf }) };
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const parsed = Flags.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(`--${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data;
}

export class UsageError extends Error {}
