import { ResponseCache, type CachedResponse } from '../../src/cache/response-cache';

const response = (body: string, headers: Record<string, string> = {}, tags: string[] = []): CachedResponse => ({
  status: 200,
  headers: { 'content-type': 'application/json', ...headers },
  body: Buffer.from(body),
  etag: '"e"',
  tags,
});

describe('the response cache', () => {
  it('is bounded in bytes counting bodies, headers and keys', () => {
    const cache = new ResponseCache({ maxEntries: 1000, maxBytes: 10_000 });
    const bigHeader = 'x'.repeat(1500);
    for (let i = 0; i < 50; i += 1) cache.set(`key-${i}-${'k'.repeat(100)}`, response('{}', { 'x-big': bigHeader }), cache.generation);
    expect(cache.bytes).toBeLessThanOrEqual(10_000);
    expect(cache.size).toBeLessThan(10);
  });

  it('entries read once may use the whole budget while few are read twice', () => {
    const cache = new ResponseCache({ maxEntries: 100, maxBytes: 1_000_000 });
    for (let i = 0; i < 100; i += 1) cache.set(`once-${i}`, response('{}', {}, [`doc:${i}`]), cache.generation);
    expect(cache.size).toBe(100);
    expect(cache.has('once-0')).toBe(true);
    cache.set('one-more', response('{}'), cache.generation);
    expect(cache.size).toBe(100);
    expect(cache.has('once-0')).toBe(false); // the least recently stored went
    expect(cache.invalidate(['doc:0'])).toBe(0); // and its tags with it
  });

  it('a flood of one-off keys (random query variants or origins) does not evict entries read twice', () => {
    const cache = new ResponseCache({ maxEntries: 100, maxBytes: 1_000_000 });
    cache.set('hot', response('{"hot":true}'), cache.generation);
    expect(cache.get('hot')).toBeDefined(); // read again: protected
    for (let i = 0; i < 10_000; i += 1) cache.set(`one-off-${i}`, response('{}'), cache.generation);
    expect(cache.get('hot')?.body.toString()).toBe('{"hot":true}');
    expect(cache.size).toBeLessThanOrEqual(100);
  });

  it('an entry read once is evicted by a flood before any entry read twice', () => {
    const cache = new ResponseCache({ maxEntries: 10, maxBytes: 1_000_000 });
    cache.set('once', response('{}'), cache.generation);
    cache.set('twice', response('{}'), cache.generation);
    cache.get('twice');
    for (let i = 0; i < 20; i += 1) cache.set(`flood-${i}`, response('{}'), cache.generation);
    expect(cache.has('once')).toBe(false);
    expect(cache.has('twice')).toBe(true);
  });

  it('entries expire after the TTL (a purge that never arrived cannot keep old text forever)', () => {
    jest.useFakeTimers({ now: 1_000_000 });
    try {
      const cache = new ResponseCache({ ttlMs: 60_000 });
      cache.set('article', response('{}'), cache.generation);
      jest.setSystemTime(1_000_000 + 59_000);
      expect(cache.get('article')).toBeDefined();
      jest.setSystemTime(1_000_000 + 61_000);
      expect(cache.get('article')).toBeUndefined();
      expect(cache.size).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  it('invalidates by tag, and never stores what was computed before an invalidation', () => {
    const cache = new ResponseCache();
    cache.set('a', response('{}', {}, ['doc:1']), cache.generation);
    cache.set('b', response('{}', {}, ['doc:2']), cache.generation);
    const before = cache.generation;
    expect(cache.invalidate(['doc:1'])).toBe(1);
    expect(cache.has('a')).toBe(false);
    expect(cache.has('b')).toBe(true);
    expect(cache.set('c', response('{}'), before)).toBe(false);
  });

  it('forgets the tags of evicted entries, and still purges an entry moved back on probation', () => {
    const cache = new ResponseCache({ maxEntries: 10, maxBytes: 1_000_000 });
    cache.set('hot', response('{}', {}, ['doc:hot']), cache.generation);
    cache.get('hot'); // protected
    // Ten more entries read twice: the protected segment (8) pushes 'hot' back on probation.
    for (let i = 0; i < 10; i += 1) {
      cache.set(`warm-${i}`, response('{}', {}, [`doc:warm-${i}`]), cache.generation);
      cache.get(`warm-${i}`);
    }
    for (let i = 0; i < 1000; i += 1) cache.set(`one-off-${i}`, response('{}', {}, [`doc:${i}`, 'list:article']), cache.generation);
    const tagIndex = (cache as unknown as { byTag: Map<string, Set<string>> }).byTag;
    expect(cache.size).toBeLessThanOrEqual(10);
    // Bounded by what is cached, not by what ever was.
    expect(tagIndex.size).toBeLessThanOrEqual(cache.size + 1);
    expect([...tagIndex.values()].reduce((n, keys) => n + keys.size, 0)).toBeLessThanOrEqual(cache.size * 2);
    cache.set('moved', response('{}', {}, ['doc:moved']), cache.generation);
    cache.get('moved');
    for (let i = 0; i < 8; i += 1) {
      cache.set(`later-${i}`, response('{}', {}, []), cache.generation);
      cache.get(`later-${i}`);
    }
    expect(cache.has('moved')).toBe(true); // on probation again, the oldest of the protected
    expect(cache.invalidate(['doc:moved'])).toBe(1);
    expect(cache.has('moved')).toBe(false);
  });

  it('answers hits with X-Cache: hit, built once', () => {
    const cache = new ResponseCache();
    cache.set('a', response('{}'), cache.generation);
    expect(cache.get('a')?.hitHeaders['x-cache']).toBe('hit');
    expect(cache.get('a')?.headers['x-cache']).toBeUndefined();
  });
});
