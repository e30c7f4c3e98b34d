import { writeStory } from '../../src/importer/write-story';
import { MAX_KEY_HEADER_BYTES } from '../../src/edge/keys';
import { parseStory } from '../../src/story';
import { startApp, type TestApp } from '../helpers/strapi';

/**
 * The largest public answer, a list of 100 articles each with photos from credits of their own,
 * tagged for the edge within every edge's header limit: the lists stand in for the documents
 * past it. (A Varnish taking such a header and purging by it: tests/cluster/edge-vcl.test.ts.)
 */
let app: TestApp;

beforeAll(async () => {
  app = await startApp();
  for (let n = 1; n <= 100; n += 1) {
    const text = `Harbour report number ${n}\n\nThe quay at dawn. Credit: Quay Agency ${n}\n\nThe harbour counted its boats.\n\nThe pier at dusk. Credit: Pier Photos ${n}\n`;
    const parsed = parseStory(text, `harbour_report_${n}.txt`);
    if (!parsed.ok) throw new Error(parsed.error.message);
    await writeStory(app.strapi, parsed.story, { locale: 'en', status: 'published', force: false });
  }
}, 300_000);
afterAll(async () => {
  await app?.stop();
});

describe('Surrogate-Key of the largest answer', () => {
  it('stays within the limit, with the list tag of every public type in place of 300 documents', async () => {
    const response = await fetch(`${app.baseUrl}/api/articles?pagination[pageSize]=100`);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { data: unknown[] }).data).toHaveLength(100);
    const header = response.headers.get('surrogate-key') ?? '';
    expect(Buffer.byteLength(header)).toBeLessThanOrEqual(MAX_KEY_HEADER_BYTES);
    expect(response.headers.get('cache-tag')).toBe(header.split(' ').join(','));
    const keys = header.split(' ');
    expect(keys).toEqual(expect.arrayContaining(['list:article', 'list:image-credit', 'list:file', 'permissions']));
    expect(keys.filter((key) => key.startsWith('doc:'))).toEqual([]);
  });

  it('names every document while they fit (a page of 20)', async () => {
    const response = await fetch(`${app.baseUrl}/api/articles?pagination[pageSize]=20`);
    const keys = (response.headers.get('surrogate-key') ?? '').split(' ');
    // 20 articles and their 40 credits.
    expect(keys.filter((key) => key.startsWith('doc:')).length).toBeGreaterThanOrEqual(60);
    expect(keys).toContain('permissions');
  });
});
