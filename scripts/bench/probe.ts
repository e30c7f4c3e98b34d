import http, { type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { ARTICLE_PATH, GRAPHQL_BODY, SLUG, STOCK_PATH, type Row, type Server } from './rows';

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
}

/** Checks every row answers what it should, warms the caches, and takes the answers the bare server repeats. */
export async function probe(ports: Record<Server, number>, rows: Row[], articles: number): Promise<Probe> {
  const cacheOn = ports['cache-on'];
  const cacheOff = ports['cache-off'];
  const notes: string[] = [];
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

  const uncached = await request(cacheOff, { method: 'GET', path: ARTICLE_PATH });
  expect(uncached.status === 200, `(4) answered ${uncached.status}`);
  expect(uncached.headers['x-cache'] === undefined || uncached.headers['x-cache'] !== 'HIT', '(4) came from a cache');
  notes.push(
    uncached.body.equals(hit.body)
      ? '(4) answers the same bytes as (2).'
      : `(4) answers ${uncached.body.length} bytes, (2) ${hit.body.length}: the same article${
          JSON.stringify(json(uncached).data) === JSON.stringify(data) ? ' (identical `data`)' : ', different `data`'
        }.`
  );

  const graphqlAnswers: Answer[] = [];
  for (let i = 0; i < 2; i += 1) {
    const graphql = await request(cacheOn, { method: 'POST', path: '/graphql', headers: { 'content-type': 'application/json' }, body: GRAPHQL_BODY });
    const body = json(graphql) as { data?: { articles?: Array<{ slug: string }> }; errors?: unknown };
    expect(graphql.status === 200 && !body.errors && body.data?.articles?.[0]?.slug === SLUG, `(5) answered ${graphql.status}: ${graphql.body.toString('utf8').slice(0, 300)}`);
    graphqlAnswers.push(graphql);
  }
  expect(graphqlAnswers[1].body.equals(graphqlAnswers[0].body), '(5) a cache hit differs from the miss that filled it');

  const stock = await request(cacheOff, { method: 'GET', path: STOCK_PATH });
  expect(stock.status === 200, `(6) answered ${stock.status}: ${stock.body.toString('utf8').slice(0, 200)}`);
  notes.push(
    JSON.stringify(json(stock).data) === JSON.stringify(json(uncached).data)
      ? '(6) returns the same `data` as (4): the route middleware replaces the client\'s populate tree with the server\'s, which is this tree (plus the figures\' `image`, empty in this story); what (6) measures is the stock core controller and Document Service with the cache off.'
      : '(6) returns different `data` from (4).'
  );

  for (const row of rows.filter((r) => r.id === 7 || r.id === 8)) {
    const answer = await request(cacheOff, row);
    expect(answer.status === 200, `(${row.id}) answered ${answer.status}`);
    const rowData = json(answer).data as unknown[];
    const expected = row.id === 7 ? Math.min(20, articles) : 1;
    expect(Array.isArray(rowData) && rowData.length === expected, `(${row.id}) returned ${Array.isArray(rowData) ? rowData.length : 'no'} articles, expected ${expected}`);
    if (row.id === 8) {
      const [clone] = rowData as Array<{ slug?: string; body?: unknown[] }>;
      expect(row.path.endsWith(`=${clone.slug}`) && (clone.body?.length ?? 0) > 0, `(8) answered another article (${clone.slug})`);
    }
  }
  return { article: capture(hit), notModified: capture(notModified), graphql: capture(graphqlAnswers[1]), etag, notes };
}
