import { fork, type ChildProcess } from 'node:child_process';
import type { OutgoingHttpHeaders } from 'node:http';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ROOT } from './common';
import { SERVER_NODE_FLAGS } from '../../src/runtime/node-flags';

/**
 * The servers under test, each a child process of the bench (see child.ts for their side): the
 * app with the response cache on, the app with it off, and the bare server; started, asked (IPC)
 * and stopped from here.
 */

/** The child processes' entry, compiled next to this file. */
const CHILD = join(__dirname, 'child.js');

export interface Child {
  name: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** An answer the bare server repeats: status, headers and body (base64). */
export interface BareAnswer {
  status: number;
  headers: OutgoingHttpHeaders;
  body: string;
}
/** The bare server's answers: a POST gets `post`; a GET with `If-None-Match: <etag>` gets `notModified`; any other request `get`. */
export interface BarePayload {
  get: BareAnswer;
  notModified: BareAnswer;
  etag: string;
  post: BareAnswer;
}

export type ChildMessage =
  | { type: 'ready'; port: number }
  | { type: 'error'; message: string }
  | { type: 'done'; id: number; value?: number; statements?: string[]; error?: string };
export type Command = { type: 'profile-start' } | { type: 'profile-stop'; file: string } | { type: 'queries' } | { type: 'statements'; from: number };
export type ParentMessage = { type: 'stop' } | (Command & { id: number });

export let nextAsk = 1;
/** Sends a command to an app child and waits for its answer. */
export function ask(child: Child, message: Command): Promise<{ value?: number; statements?: string[] }> {
  const id = nextAsk++;
  return new Promise((resolvePromise, reject) => {
    const onMessage = (reply: ChildMessage) => {
      if (reply.type !== 'done' || reply.id !== id) return;
      child.process.off('message', onMessage);
      if (reply.error) reject(new Error(`${child.name}: ${reply.error}`));
      else resolvePromise({ value: reply.value, statements: reply.statements });
    };
    child.process.on('message', onMessage);
    child.process.send({ ...message, id } satisfies ParentMessage);
  });
}

export const BOOT_TIMEOUT_MS = 240_000;

export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Nothing that reaches outside, creates accounts, joins other instances or changes what is measured.
  for (const name of ['ADMIN_EMAIL', 'ADMIN_PASSWORD', 'EDITOR_EMAIL', 'EDITOR_PASSWORD', 'WEBHOOK_URL', 'REDIS_URL', 'NODE_OPTIONS']) delete env[name];
  const secret = () => randomBytes(24).toString('base64');
  return {
    ...env,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: '0',
    SERVE_ADMIN_PANEL: 'false',
    LOG_LEVEL: 'error',
    STRAPI_TELEMETRY_DISABLED: 'true',
    APP_KEYS: `${secret()},${secret()}`,
    API_TOKEN_SALT: secret(),
    ADMIN_JWT_SECRET: secret(),
    TRANSFER_TOKEN_SALT: secret(),
    JWT_SECRET: secret(),
    ENCRYPTION_KEY: secret(),
    PREVIEW_SECRET: secret(),
    ...extra,
  };
}

export function startChild(name: string, args: string[], env: NodeJS.ProcessEnv, payload?: unknown): Promise<Child> {
  return new Promise((resolvePromise, reject) => {
    const child = fork(CHILD, args, { cwd: ROOT, env, execArgv: [...SERVER_NODE_FLAGS], stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    const prefix = (chunk: Buffer) =>
      chunk
        .toString('utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => `[${name}] ${line}\n`)
        .join('');
    // Strapi's start-up banner goes to stdout: kept back, shown only if the child fails to start.
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout = (stdout + prefix(chunk)).slice(-20_000)));
    child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(prefix(chunk)));
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      if (stdout) process.stderr.write(stdout);
      reject(error);
    };
    let exited = false;
    const exitedPromise = new Promise<void>((r) => child.once('exit', () => ((exited = true), r())));
    const stop = async () => {
      if (exited) return;
      if (child.connected) child.send({ type: 'stop' });
      else child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exitedPromise;
      clearTimeout(timer);
    };
    const timer = setTimeout(() => {
      void stop();
      fail(new Error(`${name} did not start within ${BOOT_TIMEOUT_MS / 1000} s`));
    }, BOOT_TIMEOUT_MS);
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'ready' && !settled) {
        settled = true;
        clearTimeout(timer);
        resolvePromise({ name, port: message.port, process: child, stop });
      } else if (message.type === 'error') {
        clearTimeout(timer);
        void stop();
        fail(new Error(`${name}: ${message.message}`));
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      fail(new Error(`${name} exited during start-up (${signal ?? `code ${code}`})`));
    });
    if (payload !== undefined) child.send({ type: 'payload', payload });
  });
}

