import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http, { type OutgoingHttpHeaders } from 'node:http';
import { join, resolve } from 'node:path';
import { ROOT, STORIES } from './common';
import type { BareAnswer, BarePayload, ChildMessage, ParentMessage } from './servers';

/**
 * The child processes' side (forked by servers.ts): `--serve [--seed]` boots the app in-process
 * and listens; `--bare` answers with the bytes it is handed. Both answer the bench over IPC.
 */

/** Child: the app booted in-process (like tests/helpers/strapi.ts), seeded, listening on a free port. */
export async function serveApp(seed: boolean): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createStrapi } = require('@strapi/strapi') as typeof import('@strapi/strapi');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { destroyStrapi } = require('../../src/runtime/load-strapi') as typeof import('../../src/runtime/load-strapi');
  const strapi = await createStrapi({ appDir: ROOT, distDir: join(ROOT, 'dist') }).load();
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    try {
      await destroyStrapi(strapi);
    } finally {
      process.exit(0); // whatever handle Strapi left open
    }
  };
  // SQL statements sent (and the latest few), so the report can say what a request costs.
  let queries = 0;
  const recent: string[] = [];
  strapi.db.connection.on('query', (data: { sql?: string }) => {
    queries += 1;
    recent.push(String(data.sql ?? ''));
    if (recent.length > 200) recent.shift();
  });
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'stop') void stop();
    else if (message.type === 'queries') process.send?.({ type: 'done', id: message.id, value: queries } satisfies ChildMessage);
    else if (message.type === 'statements') {
      const wanted = queries - message.from;
      const statements = wanted <= recent.length ? recent.slice(recent.length - wanted) : [`(${wanted} statements, more than kept)`];
      process.send?.({ type: 'done', id: message.id, statements: wanted > 0 ? statements : [] } satisfies ChildMessage);
    } else void profiler(message);
  });
  process.on('disconnect', () => void stop()); // the bench went away
  if (seed) await seedStories(strapi);
  await strapi.listen();
  const address = strapi.server.httpServer.address();
  if (!address || typeof address === 'string') throw new Error('the server did not listen');
  process.send?.({ type: 'ready', port: address.port } satisfies ChildMessage);
}

/**
 * V8's sampling profiler (what `node --cpu-prof` runs), started and stopped by the bench around
 * one measured row, so that a profile holds that row's requests and nothing else.
 */
export let session: import('node:inspector').Session | undefined;
export async function profiler(message: Extract<ParentMessage, { type: 'profile-start' | 'profile-stop' }>): Promise<void> {
  const reply = (error?: unknown) =>
    process.send?.({ type: 'done', id: message.id, ...(error ? { error: error instanceof Error ? error.message : String(error) } : {}) } satisfies ChildMessage);
  try {
    if (!session) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { Session } = require('node:inspector') as typeof import('node:inspector');
      session = new Session();
      session.connect();
    }
    const current = session;
    const post = <T>(method: string, params?: object) =>
      new Promise<T>((resolvePromise, reject) => current.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolvePromise(result as T))));
    if (message.type === 'profile-start') {
      await post('Profiler.enable');
      await post('Profiler.setSamplingInterval', { interval: 1000 });
      await post('Profiler.start');
    } else {
      const { profile } = await post<{ profile: unknown }>('Profiler.stop');
      mkdirSync(resolve(message.file, '..'), { recursive: true });
      writeFileSync(message.file, JSON.stringify(profile));
    }
    reply();
  } catch (error) {
    reply(error);
  }
}

export async function seedStories(strapi: import('@strapi/strapi').Core.Strapi): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { writeStory } = require('../../src/importer/write-story') as typeof import('../../src/importer/write-story');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { parseStory } = require('../../src/story') as typeof import('../../src/story');
  for (const file of readdirSync(STORIES).filter((f) => f.endsWith('.txt')).sort()) {
    const parsed = parseStory(readFileSync(join(STORIES, file), 'utf8'), file);
    if (!parsed.ok) throw new Error(parsed.error.message);
    await writeStory(strapi, parsed.story, { locale: 'en', status: 'published', force: false });
  }
}

/**
 * Child: the limit. For each kind of request the same status, headers and bytes as the app's
 * answer, nothing else: (1) the article, (11) the 304 to `If-None-Match`, (12) the GraphQL answer
 * (after reading the request body, as the app does).
 */
export function serveBare(): void {
  process.once('message', (message: { type: string; payload: BarePayload }) => {
    const { get, notModified, post, etag } = message.payload;
    const answer = (res: http.ServerResponse, { status, headers, body }: { status: number; headers: OutgoingHttpHeaders; body: Buffer }) => {
      res.writeHead(status, headers);
      res.end(status === 304 ? undefined : body);
    };
    const decoded = (a: BareAnswer) => ({ status: a.status, headers: a.headers, body: Buffer.from(a.body, 'base64') });
    const [getAnswer, notModifiedAnswer, postAnswer] = [get, notModified, post].map(decoded);
    const server = http.createServer((req, res) => {
      if (req.method === 'POST') {
        req.on('data', () => undefined);
        req.on('end', () => answer(res, postAnswer));
      } else if (req.headers['if-none-match'] === etag) {
        answer(res, notModifiedAnswer);
      } else {
        answer(res, getAnswer);
      }
    });
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (!address || typeof address === 'string') throw new Error('the server did not listen');
      process.send?.({ type: 'ready', port: address.port } satisfies ChildMessage);
    });
    const stop = () => {
      server.closeAllConnections();
      server.close(() => process.exit(0));
    };
    process.on('message', (m: { type?: string }) => m?.type === 'stop' && stop());
    process.on('disconnect', stop);
  });
}

if (require.main === module) {
  const args = process.argv.slice(2);
  if (args[0] === '--serve') {
    serveApp(args.includes('--seed')).catch((error: unknown) => {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      if (process.send) process.send({ type: 'error', message } satisfies ChildMessage, undefined, {}, () => process.exit(1));
      else process.exit(1);
    });
  } else if (args[0] === '--bare') {
    serveBare();
  } else {
    console.error('[bench] child.ts is started by the bench (--serve [--seed] | --bare)');
    process.exit(2);
  }
}

