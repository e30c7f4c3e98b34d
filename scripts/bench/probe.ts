import http, { type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { ARTICLE_PATH, GRAPHQL_BODY, rareArticles, SLUG, STOCK_PATH, type Row, type Server } from './rows';
import { TWINS } from './targets';

/** Plain HTTP requests to the servers, and the probe run before measuring. */

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export function request(port: number, row: Pick<Row, 'method' | 'path' | 'headers' | 'body'>): Promise<Answer> {
  return new Promise((resolvePromise, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method: row.method, path: row.path, headers: row.headers, timeout: 60_000, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      }
    );
    req.on('timeout', () => req.destroy(new Error(`${row.method} ${row.path}: no answer in 60 s`)));
    req.on('error', reject);
    req.end(row.body);
  });
}

export function json(answer: Answer): { data?: unknown; errors?: unknown } {
  try {
    return JSON.parse(answer.body.toString('utf8')) as { data?: unknown; errors?: unknown };
  } catch {
    throw new Error(`not JSON (status ${answer.status}): ${answer.body.toString('utf8').slice(0, 200)}`);
  }
}

export function expect(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`probe: ${message}`);
}

/** Headers the bare server repeats: those the fast path writes (Node adds date and connection). */
export const PER_CONNECTION = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding']);

/** An answer of the app, as the bare server is to repeat it. */
export interface Captured {
  status: number;
  /** The headers as received. */
  received: IncomingHttpHeaders;
  /** The headers the bare server writes: the received ones less those Node adds per connection. */
  headers: OutgoingHttpHeaders;
  body: Buffer;
}

function capture(answer: Answer): Captured {
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(answer.headers)) if (value !== undefined && !PER_CONNECTION.has(name)) headers[name] = value;
  return { status: answer.status, received: answer.headers, headers, body: answer.body };
}

export interface Probe {
  /** (2): the article, a cache hit; (1) repeats it. */
  article: Captured;
  /** (3): the 304 to `If-None-Match`; (11) repeats it. */
  notModified: Captured;
  /** (5): the GraphQL answer, a cache hit; (12) repeats it. */
  graphql: Captured;
  etag: string;
  notes: string[];
  /** Rows whose answer differs from their twin's, with where. */
  mismatched: Map<number, string>;
}

/**
 * Where two answers first differ: the byte offset, and some bytes either side from each (as
 * JSON strings, so that control bytes show). Undefined when they are the same bytes.
 */
export function firstDifference(a: Buffer, b: Buffer, context = 40): { offset: number; a: string; b: string } | undefined {
  if (a.equals(b)) return undefined;
  let offset = 0;
  const shorter = Math.min(a.length, b.length);
  while (offset < shorter && a[offset] === b[offset]) offset += 1;
  const around = (buffer: Buffer) => {
    const from = Math.max(0, offset - context);
    const to = Math.min(buffer.length, offset + context);
    return `${from > 0 ? '…' : ''}${JSON.stringify(buffer.subarray(from, to).toString('latin1')).slice(1, -1)}${to < buffer.length ? '…' : ''}`;
  };
  return { offset, a: around(a), b: around(b) };
}

/** One line saying where the answers of rows `a` and `b` differ. */
export function describeDifference(idA: number, a: Buffer, idB: number, b: Buffer): string | undefined {
  const difference = firstDifference(a, b);
  if (!difference) return undefined;
  return (
    `(${idA}) and (${idB}) answer different bytes (${a.length} and ${b.length}); first difference at byte ${difference.offset}: ` +
    `(${idA}) \`${difference.a}\` / (${idB}) \`${difference.b}\``
  );
}

/**
 * Checks that every selected row answers what it should (and warms the caches), that each row
 * answers the bytes of its stock twin, and takes the answers the bare server repeats.
 */
export async function probe(ports: Partial<Record<Server, number>>, rows: Row[], articles: number): Promise<Probe> {
  const port = (server: Server) => {
    const found = ports[server];
    expect(found !== undefined, `no ${server} server`);
    return found;
  };
  const selected = new Set(rows.map((r) => r.id));
  const cacheOn = port('cache-on');
  const notes: string[] = [];
  const mismatched = new Map<number, string>();
  const miss = await request(cacheOn, { method: 'GET', path: ARTICLE_PATH });
  expect(miss.status === 200, `(2) answered ${miss.status}: ${miss.body.toString('utf8').slice(0, 200)}`);
  const hit = await request(cacheOn, { method: 'GET', path: ARTICLE_PATH });
  expect(hit.status === 200 && hit.body.equals(miss.body), '(2) a cache hit differs from the miss that filled it');
  const data = json(hit).data as Array<{ slug: string; body: unknown[]; lead?: { credit?: { name?: string } } }>;
  expect(Array.isArray(data) && data[0]?.slug === SLUG && data[0].body.length > 0, '(2) is not the whole article');
  const etag = hit.headers.etag;
  expect(typeof etag === 'string', '(2) has no ETag');

  const notModified = await request(cacheOn, { method: 'GET', path: ARTICLE_PATH, headers: { 'if-none-match': etag } });
  expect(notModified.status === 304, `(3) answered ${notModified.status}`);

  /** A GraphQL answer holding the article and no error. */
  const graphql = async (id: number, server: Server) => {
    const answer = await request(port(server), { method: 'POST', path: '/graphql', headers: { 'content-type': 'application/json' }, body: GRAPHQL_BODY });
    const body = json(answer) as { data?: { articles?: Array<{ slug: string }> }; errors?: unknown };
    expect(answer.status === 200 && !body.errors && body.data?.articles?.[0]?.slug === SLUG, `(${id}) answered ${answer.status}: ${answer.body.toString('utf8').slice(0, 300)}`);
    return answer;
  };
  const graphqlMiss = await graphql(5, 'cache-on');
  const graphqlHit = await graphql(5, 'cache-on');
  expect(graphqlHit.body.equals(graphqlMiss.body), '(5) a cache hit differs from the miss that filled it');

  let uncached: Answer | undefined;
  if (selected.has(4) || selected.has(6)) {
    uncached = await request(port('cache-off'), { method: 'GET', path: ARTICLE_PATH });
    expect(uncached.status === 200, `(4) answered ${uncached.status}`);
    expect(uncached.headers['x-cache'] === undefined || uncached.headers['x-cache'] !== 'HIT', '(4) came from a cache');
    notes.push(
      uncached.body.equals(hit.body)
        ? '(4) answers the same bytes as (2).'
        : `(4) answers ${uncached.body.length} bytes, (2) ${hit.body.length}: the same article${
            JSON.stringify(json(uncached).data) === JSON.stringify(data) ? ' (identical `data`)' : ', different `data`'
          }.`
    );
  }

  if (selected.has(6) && uncached) {
    const stock = await request(port('cache-off'), { method: 'GET', path: STOCK_PATH });
    expect(stock.status === 200, `(6) answered ${stock.status}: ${stock.body.toString('utf8').slice(0, 200)}`);
    notes.push(
      JSON.stringify(json(stock).data) === JSON.stringify(json(uncached).data)
        ? '(6) returns the same `data` as (4): the route middleware replaces the client\'s populate tree with the server\'s, which is this tree (plus the figures\' `image`, empty in this story); what (6) measures is the stock core controller and Document Service with the cache off.'
        : '(6) returns different `data` from (4).'
    );
  }

  const answers = new Map<number, Answer>();
  for (const row of rows) {
    if (row.id === 9 || row.id === 10) answers.set(row.id, await graphql(row.id, row.server));
    if (row.id === 7 || row.id === 8 || row.id === 13) {
      const answer = await request(port(row.server), row);
      expect(answer.status === 200, `(${row.id}) answered ${answer.status}: ${answer.body.toString('utf8').slice(0, 200)}`);
      const rowData = json(answer).data as unknown[];
      const expected = row.id === 8 ? 1 : Math.min(20, articles);
      expect(Array.isArray(rowData) && rowData.length === expected, `(${row.id}) returned ${Array.isArray(rowData) ? rowData.length : 'no'} articles, expected ${expected}`);
      if (row.id === 8) {
        const [clone] = rowData as Array<{ slug?: string; body?: unknown[] }>;
        expect(row.path.endsWith(`=${clone.slug}`) && (clone.body?.length ?? 0) > 0, `(8) answered another article (${clone.slug})`);
      }
      answers.set(row.id, answer);
    }
  }
  // Search rows: the rare word finds the articles that carry it, the others a full page.
  for (const row of rows) {
    if (row.id < 14 || row.id > 16) continue;
    const answer = await request(port(row.server), row);
    expect(answer.status === 200, `(${row.id}) answered ${answer.status}: ${answer.body.toString('utf8').slice(0, 200)}`);
    const found = json(answer) as { data?: Array<{ highlights?: string[] }>; meta?: { pagination?: { total?: number } } };
    const expected = Math.min(10, row.id === 14 ? rareArticles(articles - 1) : articles);
    expect((found.data ?? []).length === expected, `(${row.id}) found ${(found.data ?? []).length} articles, expected ${expected}`);
    expect((found.data ?? []).every((hit) => (hit.highlights ?? []).some((h) => h.includes('<mark>'))), `(${row.id}) has a hit without a highlighted match`);
    notes.push(`(${row.id}) finds ${found.meta?.pagination?.total ?? '?'} candidate(s), ${expected} on its page.`);
  }
  // A row and its stock twin answer the same bytes, or the row's target is not met.
  for (const [id, twin] of TWINS) {
    const a = answers.get(id);
    const b = answers.get(twin);
    if (!a || !b) continue;
    const difference = describeDifference(id, a.body, twin, b.body);
    if (difference) mismatched.set(id, difference);
    notes.push(difference ?? `(${id}) answers the same bytes as (${twin}) (${a.body.length} bytes).`);
  }
  return { article: capture(hit), notModified: capture(notModified), graphql: capture(graphqlHit), etag, notes, mismatched };
}
