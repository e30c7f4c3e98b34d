import autocannon from 'autocannon';
import { percentile } from '../lib/stats';
import { request } from './probe';
import type { Row } from './rows';
import { ask, type Child } from './servers';
import type { Stats } from './targets';

/** The load: autocannon, warm-up, round-robin slices, latencies and SQL per request. */

export function cannonOptions(port: number, row: Row, connections: number, seconds: number): autocannon.Options {
  return {
    url: `http://127.0.0.1:${port}${row.path}`,
    method: row.method,
    headers: row.headers,
    body: row.body,
    connections,
    pipelining: 1,
    timeout: 10,
    duration: seconds,
  };
}

export async function warmUp(port: number, row: Row, connections: number, seconds: number): Promise<void> {
  await runCannon(cannonOptions(port, row, connections, seconds), () => undefined);
  await drain(port, row);
}

/** One row at one connection count, accumulated over its slices. */
export class Measurement {
  // Latencies as floats (autocannon's histogram keeps whole milliseconds).
  private latencies = new Float64Array(1 << 16);
  private count = 0;
  private unexpected = 0;
  private seconds = 0;
  private requests = 0;
  private errors = 0;
  private timeouts = 0;
  private readonly statusCodes: Record<string, number> = {};
  readonly raw: autocannon.Result[] = [];

  constructor(
    private readonly expectStatus: number,
    private readonly sqlPerRequest: number | undefined
  ) {}

  record(statusCode: number, latency: number): void {
    if (statusCode !== this.expectStatus) this.unexpected += 1;
    if (this.count === this.latencies.length) {
      const bigger = new Float64Array(this.latencies.length * 2);
      bigger.set(this.latencies);
      this.latencies = bigger;
    }
    this.latencies[this.count++] = latency;
  }

  add(result: autocannon.Result): void {
    this.raw.push(result);
    this.seconds += result.duration;
    this.requests += result.requests.total;
    this.errors += result.errors;
    this.timeouts += result.timeouts;
    for (const [code, { count }] of Object.entries(result.statusCodeStats ?? {})) this.statusCodes[code] = (this.statusCodes[code] ?? 0) + (count ?? 0);
  }

  stats(): Stats {
    const sorted = this.latencies.slice(0, this.count).sort();
    return {
      rps: this.seconds > 0 ? this.requests / this.seconds : 0,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      requests: this.requests,
      errors: this.errors,
      timeouts: this.timeouts,
      unexpected: this.unexpected + this.errors,
      statusCodes: this.statusCodes,
      sqlPerRequest: this.sqlPerRequest,
    };
  }
}

/** One measured slice of a row, added to its measurement; `around` brackets the window itself. */
export async function measureSlice(
  measurement: Measurement,
  port: number,
  row: Row,
  connections: number,
  seconds: number,
  around?: { before(): Promise<void>; after(): Promise<void> }
): Promise<void> {
  await around?.before();
  const result = await runCannon(cannonOptions(port, row, connections, seconds), (statusCode, latency) => measurement.record(statusCode, latency));
  await around?.after();
  await drain(port, row);
  measurement.add(result);
}

/**
 * SQL statements one request of the row sends (knex `query` events in the app): their number
 * over a few requests in a row, and the statements of the first.
 */
export async function sqlPerRequest(child: Child, row: Row): Promise<{ perRequest: number; statements: string[] }> {
  const start = (await ask(child, { type: 'queries' })).value ?? 0;
  await request(child.port, row);
  const { statements = [] } = await ask(child, { type: 'statements', from: start });
  const times = 3;
  for (let i = 1; i < times; i += 1) await request(child.port, row);
  const end = (await ask(child, { type: 'queries' })).value ?? 0;
  return { perRequest: (end - start) / times, statements };
}

/**
 * autocannon stops by closing its sockets, but the server still works through the requests it
 * had accepted: one more request of the same kind, answered after them (the database pool hands
 * out connections in order), keeps that backlog out of the next row.
 */
export async function drain(port: number, row: Row): Promise<void> {
  try {
    await request(port, row);
  } catch {
    // the next row reports a server that stopped answering
  }
  await new Promise((r) => setTimeout(r, 250));
}

export function runCannon(options: autocannon.Options, onResponse: (statusCode: number, responseTime: number) => void): Promise<autocannon.Result> {
  return new Promise((resolvePromise, reject) => {
    const instance = autocannon(options, (error: unknown, result: autocannon.Result) => (error ? reject(error) : resolvePromise(result)));
    instance.on('response', (_client, statusCode, _bytes, responseTime) => onResponse(statusCode, responseTime));
  });
}
