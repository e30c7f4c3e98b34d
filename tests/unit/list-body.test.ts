import { listBody } from '../../src/read-model/lists';
import { SERVER_NODE_FLAGS, serverNodeFlags } from '../../src/runtime/node-flags';

describe('listBody: a list answer written as bytes, item by item', () => {
  const meta = JSON.stringify({ pagination: { page: 1, pageSize: 20, pageCount: 3, total: 41 } });

  test('the same bytes as the JSON text, with non-ASCII characters (curly quotes, accents, CJK, emoji)', () => {
    const items = [
      JSON.stringify({ headline: 'Putin visits China’s “Little Moscow”' }),
      JSON.stringify({ headline: 'Café in Zürich', body: '北京 — 🌏' }),
      JSON.stringify({ headline: 'plain ASCII' }),
    ];
    const body = listBody(items, meta);
    expect(body.equals(Buffer.from(`{"data":[${items.join(',')}],"meta":${meta}}`, 'utf8'))).toBe(true);
    expect(JSON.parse(body.toString('utf8'))).toEqual({ data: items.map((item) => JSON.parse(item)), meta: JSON.parse(meta) });
  });

  test('one item, and none', () => {
    expect(listBody(['{"a":1}'], '{}').toString('utf8')).toBe('{"data":[{"a":1}],"meta":{}}');
    expect(listBody([], meta).toString('utf8')).toBe(`{"data":[],"meta":${meta}}`);
  });

  test('a page of large articles (past the size where V8 builds strings slowly)', () => {
    const items = Array.from({ length: 20 }, (_, i) => JSON.stringify({ id: i, text: `Xi’s ${'word '.repeat(1000)}` }));
    const body = listBody(items, meta);
    expect(body.length).toBeGreaterThan(100_000);
    expect(body.equals(Buffer.from(`{"data":[${items.join(',')}],"meta":${meta}}`))).toBe(true);
  });
});

describe('the production server’s Node flags', () => {
  test('a larger young generation unless the operator set one in NODE_OPTIONS', () => {
    expect(SERVER_NODE_FLAGS).toContain('--max-semi-space-size=32');
    expect(serverNodeFlags(undefined)).toEqual([...SERVER_NODE_FLAGS]);
    expect(serverNodeFlags('--max-old-space-size=4096')).toEqual([...SERVER_NODE_FLAGS]);
    expect(serverNodeFlags('--enable-source-maps --max-semi-space-size=64')).toEqual([]);
    expect(serverNodeFlags('--max-semi-space-size 64')).toEqual([]);
  });
});
