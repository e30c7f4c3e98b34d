import { cacheSettings, surrogateControl } from '../../src/cache/policy';
import { edgeKeys, MAX_KEY_HEADER_BYTES } from '../../src/edge/keys';
import { ChangeSet } from '../../src/public-view/changes';

const LISTS = ['list:article', 'list:image-credit', 'list:author', 'list:tag', 'list:section', 'list:file'];
const doc = (n: number) => `doc:${String(n).padStart(24, 'x')}`;

describe('the keys an edge tags an answer with', () => {
  it('are the answer’s tags and `permissions` (a permission change purges every answer by that one key)', () => {
    expect(edgeKeys(['doc:a', 'list:article'], LISTS)).toEqual(['doc:a', 'list:article', 'permissions']);
  });

  it('stay within every edge’s header limit for the largest answer: past it, the list tags stand in for the documents', () => {
    // A list of 100 articles, each with two credits, two files, two authors and three tags.
    const tags = ['list:article', ...Array.from({ length: 900 }, (_, n) => doc(n))];
    const keys = edgeKeys(tags, LISTS);
    expect(Buffer.byteLength(keys.join(' '))).toBeLessThanOrEqual(MAX_KEY_HEADER_BYTES);
    expect(MAX_KEY_HEADER_BYTES + 'Surrogate-Key: '.length).toBeLessThan(8192); // Varnish's http_resp_hdr_len
    expect(keys.filter((key) => key.startsWith('doc:'))).toEqual([]);
    // Every document type is covered by its list tag, which every change to one of them purges.
    expect(keys).toEqual(expect.arrayContaining([...LISTS, 'permissions']));
  });

  it('keep every document while they fit', () => {
    const tags = Array.from({ length: 200 }, (_, n) => doc(n));
    expect(edgeKeys(tags, LISTS)).toEqual([...tags, 'permissions']);
  });
});

describe('what a change tells the edge', () => {
  it('a publish (old published row deleted, new one created) is an update: soft', () => {
    const change = new ChangeSet();
    change.add('api::article.article', ['d1']);
    change.removed.add('d1');
    change.created.add('d1');
    expect(change.takesDown).toBe(false);
  });

  it('an unpublish or a delete (a public row removed, none in its place) is a takedown: hard', () => {
    const change = new ChangeSet();
    change.add('api::article.article', ['d1', 'd2']);
    change.removed.add('d1');
    change.created.add('d2');
    expect(change.takesDown).toBe(true);
  });

  it('a permission change is a takedown', () => {
    const change = new ChangeSet();
    change.permissions = true;
    expect(change.takesDown).toBe(true);
  });
});

describe('Surrogate-Control', () => {
  const settings = { ...cacheSettings({}), SURROGATE_MAX_AGE: 60, SURROGATE_STALE_WHILE_REVALIDATE: 30, SURROGATE_STALE_IF_ERROR: 86_400 };

  it('lets an edge serve the last good copy while the origin fails', () => {
    expect(surrogateControl(settings)).toBe('max-age=60, stale-while-revalidate=30, stale-if-error=86400');
    expect(surrogateControl({ ...settings, SURROGATE_STALE_IF_ERROR: 0 })).toBe('max-age=60, stale-while-revalidate=30');
  });

  it('never past the moment an answer stops being public (an embargo end): no stale of any kind', () => {
    expect(surrogateControl(settings, 12_500)).toBe('max-age=12');
  });
});
