import { createServer, request, Agent, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ServerDrain } from '../../src/runtime/lifecycle';

/** A keep-alive GET; resolves with the status and the Connection header. */
function get(port: number, agent: Agent): Promise<{ status: number; connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('ServerDrain: requests counted at the HTTP server', () => {
  let server: Server;
  let drain: ServerDrain;
  let port = 0;
  let handle: (req: IncomingMessage, res: ServerResponse) => void;

  beforeEach(async () => {
    drain = new ServerDrain();
    handle = (_req, res) => res.end('ok');
    server = createServer((req, res) => handle(req, res));
    drain.attach(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterEach(() => {
    server.close();
  });

  test('each answered request leaves the count; a drain then closes the idle keep-alive connection after the grace', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    for (let i = 0; i < 5; i += 1) expect((await get(port, agent)).status).toBe(200);
    // 'close' of the last response comes just after its end reached the client.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(drain.active).toBe(0);
    expect(drain.open).toBe(1);
    const started = Date.now();
    await expect(drain.drain(5000)).resolves.toBe(true);
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(900); // the idle grace (1 s)
    expect(took).toBeLessThan(3000); // not the timeout: the connection counted as idle
    agent.destroy();
  });

  test('a request under way when the drain starts is answered with Connection: close, then its connection closes', async () => {
    let answer: () => void = () => undefined;
    handle = (_req, res) => {
      answer = () => res.end('late');
    };
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const pending = get(port, agent);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(drain.active).toBe(1);
    const drained = drain.drain(5000);
    answer();
    await expect(pending).resolves.toEqual({ status: 200, connection: 'close' });
    await expect(drained).resolves.toBe(true);
    expect(drain.active).toBe(0);
    agent.destroy();
  });
});
