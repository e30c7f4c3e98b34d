import { parseArgs as parseArgv } from 'node:util';
/**
 * `npm run edge -- [--listen HOST:PORT] [--origin HOST:PORT] [--storage SPEC]`: the service's
 * edge cache (deploy/varnish/default.vcl) run by a local varnishd in the foreground, in front of
 * an origin (defaults: listen 127.0.0.1:6081, origin 127.0.0.1:1337, storage malloc,256m).
 * Needs varnishd and varnish-modules' xkey and var vmods (`apt-get install varnish
 * varnish-modules`); exits 2 without them. `VARNISHD=/path/to/varnishd` picks the binary (else
 * PATH, then /usr/sbin).
 *
 * `startEdge` does the same in-process, for the tests and the bench.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, chmodSync, constants, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { z } from 'zod';

const INSTALL_HINT = 'the edge needs varnishd and varnish-modules (vmods xkey, var): apt-get install varnish varnish-modules (or set VARNISHD=/path/to/varnishd)';
const STARTUP_TIMEOUT_MS = 20_000;

// The project root, from the TypeScript source or its compiled copy under dist/.
const VCL_PATH = (() => {
  let dir = __dirname;
  while (!existsSync(join(dir, 'deploy', 'varnish', 'default.vcl'))) {
    const parent = resolve(dir, '..');
    if (parent === dir) throw new Error(`deploy/varnish/default.vcl not found above ${__dirname}`);
    dir = parent;
  }
  return join(dir, 'deploy', 'varnish', 'default.vcl');
})();

const HostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'must be HOST:PORT, e.g. 127.0.0.1:6081')
  .refine((value) => Number(value.slice(value.lastIndexOf(':') + 1)) <= 65_535, 'port must be at most 65535');

export const EdgeOptions = z
  .object({
    listen: HostPort.default('127.0.0.1:6081'),
    origin: HostPort.default('127.0.0.1:1337'),
    // varnishd's -s argument: malloc,<size> or file,<path>,<size>.
    storage: z.string().regex(/^(malloc|file),[^\s]+$/, 'must be a varnishd -s value like malloc,256m').default('malloc,256m'),
  })
  .strict();
export type EdgeOptions = z.input<typeof EdgeOptions>;

export interface Edge {
  /** http://HOST:PORT the edge listens on. */
  url: string;
  /** varnishd's -n folder, for varnishadm, varnishlog and varnishstat -n. */
  workdir: string;
  process: ChildProcess;
  /** Resolves with varnishd's exit code. */
  exited: Promise<number | null>;
  /** Stops varnishd (SIGTERM, then SIGKILL after a while) and removes its folder. */
  stop(): Promise<number | null>;
}

/** varnishd is missing, or cannot load a vmod of varnish-modules. */
export class EdgeUnavailable extends Error {}

function splitHostPort(value: string): { host: string; port: number } {
  const at = value.lastIndexOf(':');
  return { host: value.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port: Number(value.slice(at + 1)) };
}

function findVarnishd(): string | undefined {
  const isExecutable = (file: string) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  // An explicit VARNISHD is the only place looked at (tests point it at nothing).
  const explicit = process.env.VARNISHD;
  if (explicit) return isExecutable(explicit) ? explicit : undefined;
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), '/usr/sbin'];
  return dirs.map((dir) => join(dir, 'varnishd')).find(isExecutable);
}

/** The shipped VCL with the backend's .host and .port lines pointed at `origin`. */
export function edgeVcl(origin: string): string {
  const { host, port } = splitHostPort(origin);
  const vcl = readFileSync(VCL_PATH, 'utf8');
  const rewritten = vcl.replace(/^(\s*)\.host = "app";$/m, `$1.host = "${host}";`).replace(/^(\s*)\.port = "1337";$/m, `$1.port = "${port}";`);
  if (!rewritten.includes(`.host = "${host}";`) || !rewritten.includes(`.port = "${port}";`)) {
    throw new Error(`${VCL_PATH}: the backend's .host = "app"; and .port = "1337"; lines are missing`);
  }
  return rewritten;
}

function waitForPort(host: string, port: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  return new Promise((resolvePromise, reject) => {
    const onExit = (code: number | null) => reject(new Error(`varnishd exited (${code}) before listening on ${host}:${port}:\n${output().trim()}`));
    child.once('exit', onExit);
    const attempt = () => {
      const socket = connect({ host, port });
      socket.once('connect', () => {
        socket.destroy();
        child.off('exit', onExit);
        resolvePromise();
      });
      socket.once('error', () => {
        socket.destroy();
        if (child.exitCode !== null || child.signalCode !== null) return;
        if (Date.now() > deadline) {
          child.off('exit', onExit);
          reject(new Error(`varnishd did not listen on ${host}:${port} within ${STARTUP_TIMEOUT_MS / 1000} s:\n${output().trim()}`));
        } else {
          setTimeout(attempt, 100);
        }
      });
    };
    attempt();
  });
}

/**
 * Starts varnishd with the shipped VCL in front of `origin` and resolves once it answers on
 * `listen`. Rejects with EdgeUnavailable when varnishd or varnish-modules is missing.
 */
export async function startEdge(input: EdgeOptions = {}): Promise<Edge> {
  const options = EdgeOptions.parse(input);
  const varnishd = findVarnishd();
  if (!varnishd) throw new EdgeUnavailable(INSTALL_HINT);

  // varnishd compiles and reads the VCL as its own unprivileged user: a folder anyone may enter
  // (a checkout may sit under a private home folder).
  const dir = mkdtempSync(join(tmpdir(), 'news-edge-'));
  chmodSync(dir, 0o755);
  const cleanUp = () => rmSync(dir, { recursive: true, force: true });
  const vclFile = join(dir, 'default.vcl');
  const workdir = join(dir, 'varnish');
  try {
    writeFileSync(vclFile, edgeVcl(options.origin), { mode: 0o644 });
    const compiled = spawnSync(varnishd, ['-C', '-n', workdir, '-f', vclFile], { encoding: 'utf8' });
    if (compiled.status !== 0) {
      const message = `${compiled.stderr ?? ''}${compiled.error?.message ?? ''}`;
      // "Could not find VMOD xkey" (or "load", for one built for another Varnish).
      if (/VMOD (xkey|var)\b/.test(message)) throw new EdgeUnavailable(INSTALL_HINT);
      throw new Error(`the edge VCL does not compile:\n${message.trim()}`);
    }
  } catch (error) {
    cleanUp();
    throw error;
  }

  const { host, port } = splitHostPort(options.listen);
  // The management interface on a loopback port of the system's choosing: `varnishadm -n <workdir>`.
  const child = spawn(varnishd, ['-F', '-n', workdir, '-f', vclFile, '-a', options.listen, '-s', options.storage, '-T', '127.0.0.1:0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000));
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolvePromise) =>
    child.once('exit', (code) => {
      cleanUp();
      resolvePromise(code);
    })
  );
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    return exited;
  };
  try {
    await waitForPort(host, port, child, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return { url: `http://${urlHost}:${port}`, workdir, process: child, exited, stop };
}

const USAGE = 'usage: npm run edge -- [--listen HOST:PORT] [--origin HOST:PORT] [--storage malloc,256m]';

function parseFlags(argv: string[]): z.infer<typeof EdgeOptions> {
  let raw: Record<string, string | undefined>;
  try {
    ({ values: raw } = parseArgv({ args: argv, strict: true, options: { listen: { type: 'string' }, origin: { type: 'string' }, storage: { type: 'string' } } }));
  } catch (error) {
    throw new Error(`${(error as Error).message} (${USAGE})`);
  }
  const parsed = EdgeOptions.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`--${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data;
}

async function main(argv: string[]): Promise<number> {
  let options: z.infer<typeof EdgeOptions>;
  try {
    options = parseFlags(argv);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    return 1;
  }
  let edge: Edge;
  try {
    edge = await startEdge(options);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    return error instanceof EdgeUnavailable ? 2 : 1;
  }
  // varnishd's own log lines (child start, VCL loaded, panics) go to this terminal.
  edge.process.stdout?.pipe(process.stdout);
  edge.process.stderr?.pipe(process.stderr);
  console.log(`edge: ${edge.url} in front of http://${options.origin} (Ctrl-C stops it)`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => edge.process.kill(signal));
  return (await edge.exited) ?? 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
