import { join, resolve } from 'node:path';

/** The project root, from the compiled copy under dist/scripts/bench/. */
export const ROOT = resolve(__dirname, '..', '..', '..');
export const RESULTS = join(ROOT, 'bench', 'results');
export const STORIES = join(ROOT, 'data', 'stories');
export const say = (line: string) => console.error(`[bench] ${line}`);

/**
 * What a run started, stopped in reverse order on success, failure and Ctrl-C (then exit 130).
 * `release()` takes the signal handlers off once the run is over.
 */
export function cleanupStack(): { push(step: () => Promise<unknown>): void; cleanUp(): Promise<void>; release(): void } {
  const steps: Array<() => Promise<unknown>> = [];
  const cleanUp = async () => {
    while (steps.length > 0) {
      try {
        await steps.pop()?.();
      } catch (error) {
        say(`clean-up: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  };
  const onSignal = () => {
    say('interrupted: stopping');
    void cleanUp().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    push: (step) => steps.push(step),
    cleanUp,
    release: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
