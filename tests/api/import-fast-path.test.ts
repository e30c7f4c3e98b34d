import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtRows, learningDone } from '../../src/importer/read-model-row';
import { writeStory, type ImportOutcome } from '../../src/importer/write-story';
import { parseStory } from '../../src/story';
import { BUNDLED_FILE } from '../helpers/stories';
import { sql } from '../helpers/database';
import { startApp } from '../helpers/strapi';

/**
 * The importer's fast path (src/importer/fast-create.ts) against the Document Service path it
 * replaces for new published stories: the same stories imported each way into a fresh database
 * give the same rows in every table they touch, the same public REST and GraphQL answers byte
 * for byte, and the same entry events (ids, documentIds and times aside: they are renamed or
 * blanked the same way on both sides).
 */
const ARTICLE = 'api::article.article';
const figures = (n: number) =>
  Array.from({ length: n }, (_, i) => `Photo ${i + 1} of the fair, with stalls. Credit: Agency ${String.fromCharCode(65 + i)}\n\nParagraph after photo ${i + 1}.`).join('\n\n');
const STORIES: Array<{ file: string; text: string; section?: string; locale?: string }> = [
  { file: BUNDLED_FILE, text: readFileSync(join(__dirname, '..', '..', 'data', 'stories', BUNDLED_FILE), 'utf8') },
  {
    file: 'kang_harbin.txt',
    section: 'world',
    text: 'Putin arrives in Harbin\n\nBy DAKE KANG and EMILY WANG FUJIYAMA\n\nRussian President Vladimir Putin at the trade fair. Credit: AP\n\nHARBIN, China (AP) — Russian President Vladimir Putin arrived in the northeastern city on Friday.\n\nHe was met by officials.\n',
  },
  { file: 'kang_fair.txt', section: 'world', text: 'Trade fair closes\n\nBy Dake Kang\n\nHARBIN, China — The fair closed on Sunday.\n' },
  { file: 'plain.txt', text: 'Council approves budget\n\nThe council met on Tuesday and approved the budget.\n' },
  // Twelve credits: ids 10 and up sort before 2 as syncCredits sorts them.
  { file: 'many_credits.txt', section: 'business', text: `Fair in pictures\n\n${figures(12)}\n` },
  // The same headline again: the slug rule's clash suffix.
  { file: 'plain_again.txt', text: 'Council approves budget\n\nA second story under the same headline.\n' },
  { file: 'ru_story.txt', locale: 'ru', section: 'world', text: 'Совет утвердил бюджет\n\nФото рынка. Credit: AP\n\nСовет собрался во вторник.\n' },
];

// Each again under another name and headline: the fast path builds their read-model rows itself
// once the first of each shape has taught it the key order (src/importer/read-model-row.ts).
const AGAIN = STORIES.map((s) => ({ ...s, file: s.file.replace('.txt', '_b.txt'), text: `Again: ${s.text}` }));

const TABLES = [
  'articles',
  'articles_cmps',
  'components_content_paragraphs',
  'components_media_figures',
  'components_media_figures_credit_lnk',
  'articles_credits_lnk',
  'articles_authors_lnk',
  'articles_section_lnk',
  'articles_tags_lnk',
  'image_credits',
  'authors',
  'sections',
  'article_revisions',
  'article_read_model',
  'article_schedules',
  'article_slug_history',
];
const TIMES = new Set(['created_at', 'updated_at', 'published_at', 'first_publish_date', 'replaced_at']);

interface Result {
  outcomes: ImportOutcome[];
  /** Read-model rows the fast path built itself. */
  built: number;
  tables: Record<string, unknown[]>;
  rest: string[];
  graphql: string[];
  events: string[];
}

async function importAll(fastPath: boolean): Promise<Result> {
  const app = await startApp();
  try {
    const events: Array<{ name: string; entry: unknown }> = [];
    const unsubscribe = app.strapi.eventHub.subscribe(async (name: string, payload: { uid?: string; entry?: unknown }) => {
      if (name.startsWith('entry.') && payload?.uid === ARTICLE) events.push({ name, entry: payload.entry });
    });
    const outcomes: ImportOutcome[] = [];
    let builtBefore = 0;
    for (const batch of [STORIES, AGAIN]) {
      builtBefore = builtRows.count;
      for (const { file, text, section, locale } of batch) {
        const parsed = parseStory(text, file);
        if (!parsed.ok) throw new Error(parsed.error.message);
        outcomes.push(await writeStory(app.strapi, parsed.story, { locale: locale ?? 'en', status: 'published', force: false, section, fastPath }));
      }
      await learningDone();
    }
    const built = builtRows.count - builtBefore; // in the second batch
    // Events go out after each commit, without being awaited.
    for (let i = 0; i < 100 && events.length < outcomes.length * 2; i += 1) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 200));
    unsubscribe();

    // documentIds are random: each is named by what it is.
    const names = new Map<string, string>();
    const name = async (query: string, prefix: string) => {
      for (const row of await sql<{ document_id: string; key: string }>(app.databaseUrl, query)) names.set(row.document_id, `${prefix}:${row.key}`);
    };
    await name("SELECT DISTINCT document_id, import_source AS key FROM articles", 'article');
    await name('SELECT document_id, name AS key FROM image_credits', 'credit');
    await name('SELECT document_id, slug AS key FROM authors', 'author');
    await name('SELECT DISTINCT document_id, slug AS key FROM sections', 'section');
    await name("SELECT r.document_id, a.import_source || '/' || r.locale || '/' || r.version AS key FROM article_revisions r JOIN (SELECT DISTINCT document_id, import_source FROM articles) a ON a.document_id = r.article_document_id", 'revision');
    const normalize = (text: string) => {
      let out = text;
      for (const [id, label] of names) out = out.split(id).join(label);
      // Times (ISO, and as the reader page shows them), and ninjs's `version` (a time in milliseconds).
      return out
        .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '<time>')
        .replace(/\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT/g, '<time>')
        .replace(/"version":"\d{12,}"/g, '"version":"<time>"');
    };

    const tables: Record<string, unknown[]> = {};
    for (const table of TABLES) {
      const rows = await sql<Record<string, unknown>>(app.databaseUrl, `SELECT * FROM ${table}`);
      const normalized = rows.map((row) => ({
        id: row.id as number | undefined,
        text: normalize(JSON.stringify(Object.fromEntries(Object.entries(row).map(([k, v]) => [k, TIMES.has(k) ? (v === null ? null : '<time>') : v instanceof Date ? '<time>' : v])))),
      }));
      // By id where there is one (ids compared too), else by content.
      normalized.sort((a, b) => (a.id !== undefined && b.id !== undefined ? a.id - b.id : a.text < b.text ? -1 : a.text > b.text ? 1 : 0));
      // The read model's tags are sorted by documentId: sorted again once those are renamed.
      tables[table] = normalized.map((row) => JSON.parse(row.text)).map((row) => (Array.isArray(row.tags) ? { ...row, tags: [...row.tags].sort() } : row));
    }

    const rest: string[] = [];
    const graphql: string[] = [];
    const slugs = await sql<{ slug: string; locale: string; document_id: string }>(app.databaseUrl, 'SELECT slug, locale, document_id FROM articles WHERE published_at IS NOT NULL ORDER BY id');
    const get = async (path: string) => {
      const response = await fetch(`${app.baseUrl}${path}`);
      return normalize(`${path} ${response.status} ${await response.text()}`);
    };
    for (const { slug, locale, document_id: documentId } of slugs) {
      rest.push(await get(`/api/articles?locale=${locale}&filters[slug][$eq]=${encodeURIComponent(slug)}`));
      rest.push(await get(`/api/articles/${documentId}?locale=${locale}`));
      rest.push(await get(`/api/articles/${documentId}/jsonld?locale=${locale}`));
      rest.push(await get(`/api/articles/${documentId}/ninjs?locale=${locale}`));
      rest.push(await get(`/news/${slug}?locale=${locale}`));
      const query = `{ articles(locale: "${locale}", filters: { slug: { eq: "${slug}" } }) { documentId headline slug standfirst byline dateline firstPublishDate createdAt updatedAt publishedAt locale
        authors { documentId name slug } section { documentId name slug } tags { name } credits { documentId name }
        lead { id caption alt photographer copyright credit { documentId name } image { url } }
        body { __typename ... on ComponentContentParagraph { id text } ... on ComponentMediaFigure { id caption alt photographer copyright credit { documentId name } image { url } } } } }`;
      const response = await fetch(`${app.baseUrl}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
      graphql.push(`${response.status} ${normalize(await response.text())}`);
    }
    for (const locale of ['en', 'ru']) {
      rest.push(await get(`/api/articles?locale=${locale}&populate=*`));
      rest.push(await get(`/api/articles?locale=${locale}&filters[credits][name][$eq]=AP`));
      rest.push(await get(`/api/articles?locale=${locale}&filters[section][slug][$eq]=world`));
    }
    rest.push(await get('/api/image-credits?sort=name'));
    rest.push(await get('/api/authors?sort=slug'));

    // An event's entry is populated relation by relation in parallel: its key order varies from run to run.
    return { outcomes, built, tables, rest, graphql, events: events.map((e) => `${e.name} ${normalize(JSON.stringify(sortKeys(e.entry)))}`) };
  } finally {
    await app.stop();
  }
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.keys(value).sort().map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]));
  }
  return value;
}

let documentService: Result;
let fast: Result;
beforeAll(async () => {
  documentService = await importAll(false);
  fast = await importAll(true);
}, 240_000);

describe('the fast path writes what the Document Service writes', () => {
  it('creates every story', () => {
    expect(documentService.outcomes).toEqual([...STORIES, ...AGAIN].map(() => 'created'));
    expect(fast.outcomes).toEqual(documentService.outcomes);
  });

  it('builds the read-model row itself for every story of a shape seen before (the second batch)', () => {
    expect(documentService.built).toBe(0);
    expect(fast.built).toBe(AGAIN.length);
  });

  it.each(TABLES)('table %s: the same rows', (table) => {
    expect(fast.tables[table]).toEqual(documentService.tables[table]);
  });

  it('the rows cover what the fast path writes (authors, section, credits, revisions, read model)', () => {
    for (const table of ['articles_authors_lnk', 'articles_section_lnk', 'articles_credits_lnk', 'article_revisions', 'article_read_model', 'components_media_figures_credit_lnk']) {
      expect(documentService.tables[table].length).toBeGreaterThan(0);
    }
    expect(documentService.tables.articles).toHaveLength((STORIES.length + AGAIN.length) * 2);
  });

  it('the same public REST answers, byte for byte', () => {
    expect(fast.rest).toHaveLength(documentService.rest.length);
    for (let i = 0; i < fast.rest.length; i += 1) expect(fast.rest[i]).toBe(documentService.rest[i]);
  });

  it('the same GraphQL answers, byte for byte', () => {
    expect(fast.graphql).toHaveLength(STORIES.length + AGAIN.length);
    for (let i = 0; i < fast.graphql.length; i += 1) expect(fast.graphql[i]).toBe(documentService.graphql[i]);
    expect(fast.graphql.join('\n')).not.toContain('"errors"');
  });

  it('the same entry events (webhooks)', () => {
    expect(documentService.events.map((e) => e.split(' ')[0]).sort()).toEqual([...STORIES, ...AGAIN].flatMap(() => ['entry.create', 'entry.publish']).sort());
    expect([...fast.events].sort()).toEqual([...documentService.events].sort());
  });
});
