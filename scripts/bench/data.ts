import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client } from 'pg';
import { ROOT, say } from './common';
import { SEARCH_RARE_EVERY, SEARCH_RARE_WORD, SLUG } from './rows';

/** The database a run measures: a fresh one, seeded by the cache-on app, and N articles generated in SQL. */

export interface Database {
  url: string;
  where: string;
  dispose(): Promise<void>;
}

export function withDatabaseName(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

export async function freshDatabase(): Promise<Database> {
  const name = `news_bench_${process.pid}_${randomBytes(3).toString('hex')}`;
  const serverUrl = process.env.DATABASE_URL;
  if (serverUrl) {
    const admin = async (text: string) => {
      const client = new Client({ connectionString: withDatabaseName(serverUrl, 'postgres'), connectionTimeoutMillis: 10_000 });
      await client.connect();
      try {
        await client.query(text);
      } finally {
        await client.end();
      }
    };
    await admin(`CREATE DATABASE "${name}"`);
    const host = new URL(serverUrl).host;
    return {
      url: withDatabaseName(serverUrl, name),
      where: `database ${name} on ${host} (DATABASE_URL; dropped at the end)`,
      dispose: () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
    };
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { removeEmbeddedCluster, startEmbeddedPostgres } = require('../../src/runtime/embedded-postgres') as typeof import('../../src/runtime/embedded-postgres');
  const dataDir = join(ROOT, '.tmp', `bench-postgres-${process.pid}`);
  removeEmbeddedCluster(dataDir);
  const embedded = await startEmbeddedPostgres({ dataDir, database: 'news_bench', log: say });
  return {
    url: embedded.url,
    where: 'embedded PostgreSQL (DATABASE_URL unset; removed at the end)',
    dispose: async () => {
      await embedded.stop();
      removeEmbeddedCluster(dataDir);
    },
  };
}

/**
 * Clones the seeded story `count` times in set-based SQL (rows of every table that holds an
 * article: the article rows, draft and published, their components and links), in batches.
 * Each clone gets its own documentId, slug, headline, source and an older first publication.
 */
export async function generateArticles(url: string, count: number): Promise<string> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await cloneStory(client, count);
  } finally {
    await client.end();
  }
}

export async function columnsOf(client: Client, table: string): Promise<Array<{ name: string; type: string }>> {
  const { rows } = await client.query<{ column_name: string; data_type: string }>(
    `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`,
    [table]
  );
  if (rows.length === 0) throw new Error(`table ${table} not found`);
  return rows.map((r) => ({ name: r.column_name, type: r.data_type }));
}

export const q = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * INSERT … SELECT of `source` rows × g in [from, to], every column copied unless overridden by
 * an SQL expression over `t` (the template row), `g` (the clone number) and `r` (the template
 * row's rank, from 0). Ids are computed, not drawn, so the links can be computed the same way.
 */
export async function cloneRows(
  client: Client,
  table: string,
  templateWhere: string,
  orderBy: string,
  overrides: Record<string, string>,
  from: number,
  to: number
): Promise<number> {
  const columns = (await columnsOf(client, table)).map((c) => c.name);
  const select = columns.map((c) => (overrides[c] !== undefined ? `${overrides[c]}` : `t.${q(c)}`));
  const result = await client.query(
    `INSERT INTO ${q(table)} (${columns.map(q).join(', ')})
     SELECT ${select.join(', ')}
     FROM (SELECT s.*, (row_number() OVER (ORDER BY ${orderBy}) - 1)::int AS r FROM ${q(table)} s WHERE ${templateWhere}) t
     CROSS JOIN generate_series(${from}, ${to}) AS g`
  );
  return result.rowCount ?? 0;
}

export const BATCH = 10_000;

export async function maxId(client: Client, table: string): Promise<number> {
  const { rows } = await client.query<{ max: number | null }>(`SELECT max(id) AS max FROM ${q(table)}`);
  return Number(rows[0].max ?? 0);
}

export async function ids(client: Client, text: string, values: unknown[] = []): Promise<number[]> {
  const { rows } = await client.query<{ id: number }>(text, values);
  return rows.map((r) => Number(r.id));
}

export const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;
export const CLONE_DOCUMENT_ID = `'bench' || lpad(g::text, 19, '0')`;

export async function cloneStory(client: Client, count: number): Promise<string> {
  const story = await client.query<{ document_id: string; headline: string }>(`SELECT document_id, headline FROM articles WHERE slug = $1 LIMIT 1`, [SLUG]);
  if (story.rowCount === 0) throw new Error('the seeded story is not in the database');
  const documentId = story.rows[0].document_id;
  const headline = story.rows[0].headline;
  const arts = await ids(client, `SELECT id FROM articles WHERE document_id = $1 ORDER BY id`, [documentId]);
  const cmps = await ids(client, `SELECT id FROM articles_cmps WHERE entity_id = ANY($1) ORDER BY id`, [arts]);
  const ofType = (type: string) =>
    ids(client, `SELECT DISTINCT cmp_id AS id FROM articles_cmps WHERE entity_id = ANY($1) AND component_type = $2 ORDER BY 1`, [arts, type]);
  const pars = await ofType('content.paragraph');
  const figs = await ofType('media.figure');
  const known = await ids(client, `SELECT count(*)::int AS id FROM articles_cmps WHERE entity_id = ANY($1) AND component_type NOT IN ('content.paragraph', 'media.figure')`, [arts]);
  if (known[0] !== 0) throw new Error('the story has components this generator does not know: update scripts/bench/data.ts');

  // Tables the app keeps per article beside Strapi's (the read model, …): any other table with a
  // document_id that has rows for the story. Their rows are cloned too, the clone's identity
  // (documentId, slug, headline) written into their text columns.
  const perArticle: Array<{ table: string; columns: Array<{ name: string; type: string }> }> = [];
  const keyed = await client.query<{ table_name: string }>(
    `SELECT DISTINCT table_name FROM information_schema.columns
      WHERE table_schema = current_schema() AND column_name = 'document_id' AND table_name <> 'articles' ORDER BY 1`
  );
  for (const { table_name: table } of keyed.rows) {
    const rows = await client.query(`SELECT 1 FROM ${q(table)} WHERE document_id = $1 LIMIT 1`, [documentId]);
    if (rows.rowCount) perArticle.push({ table, columns: await columnsOf(client, table) });
  }
  const headlineInJson = JSON.stringify(headline).slice(1, -1);
  // The published row's dates as its public JSON shows them (the read model's row says them so).
  const published = await client.query<Record<string, Date>>(
    `SELECT first_publish_date, created_at, updated_at, published_at FROM articles WHERE document_id = $1 AND published_at IS NOT NULL LIMIT 1`,
    [documentId]
  );
  const dates: Array<[string, string]> = published.rowCount
    ? ([
        ['firstPublishDate', published.rows[0].first_publish_date],
        ['createdAt', published.rows[0].created_at],
        ['updatedAt', published.rows[0].updated_at],
        ['publishedAt', published.rows[0].published_at],
      ].filter(([, date]) => date instanceof Date) as Array<[string, Date]>).map(([name, date]) => [name, date.toISOString()])
    : [];
  const rewrite = (column: { name: string; type: string }) => {
    const text = ['json', 'jsonb'].includes(column.type) ? `t.${q(column.name)}::text` : `t.${q(column.name)}`;
    // The JSON of a public answer (the read model) names the rows' ids: the article's and its
    // components' ids become the clone's, as the app would write them (fragments exact enough to
    // touch nothing else: a component's id is followed by its first attribute).
    const ids = [
      ...arts.map((id, rank) => [`{"id":${id},"documentId":"${documentId}"`, `'{"id":' || ${newId('articles', arts.length, String(rank))} || ',"documentId":"${documentId}"'`]),
      ...pars.map((id, rank) => [`{"id":${id},"text":`, `'{"id":' || ${newId('components_content_paragraphs', pars.length, String(rank))} || ',"text":'`]),
      ...figs.map((id, rank) => [`{"id":${id},"caption":`, `'{"id":' || ${newId('components_media_figures', figs.length, String(rank))} || ',"caption":'`]),
    ];
    // Its dates too, shifted as the clone's rows are (one minute per clone).
    const shifted = (iso: string) => `to_char((timestamptz ${literal(iso)} - g * interval '1 minute') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
    const dated = dates.map(([name, iso]) => [`"${name}":"${iso}"`, `'"${name}":"' || ${shifted(iso)} || '"'`]);
    const withIds = [...ids, ...dated].reduce((sql, [from, to]) => `replace(${sql}, ${literal(from)}, ${to})`, text);
    const replaced =
      `replace(replace(replace(${withIds}, ${literal(documentId)}, ${CLONE_DOCUMENT_ID}), ${literal(SLUG)}, ${literal(SLUG)} || '-' || g), ` +
      `${literal(headlineInJson)}, ${literal(headlineInJson)} || ' (' || g || ')')`;
    return ['json', 'jsonb'].includes(column.type) ? `${replaced}::${column.type}` : replaced;
  };

  const base: Record<string, number> = {
    articles: await maxId(client, 'articles'),
    articles_cmps: await maxId(client, 'articles_cmps'),
    components_content_paragraphs: await maxId(client, 'components_content_paragraphs'),
    components_media_figures: await maxId(client, 'components_media_figures'),
    components_media_figures_credit_lnk: await maxId(client, 'components_media_figures_credit_lnk'),
    articles_credits_lnk: await maxId(client, 'articles_credits_lnk'),
    files_related_mph: await maxId(client, 'files_related_mph'),
    articles_authors_lnk: await maxId(client, 'articles_authors_lnk'),
    articles_section_lnk: await maxId(client, 'articles_section_lnk'),
    articles_tags_lnk: await maxId(client, 'articles_tags_lnk'),
  };
  for (const { table, columns } of perArticle) if (columns.some((c) => c.name === 'id')) base[table] = await maxId(client, table);
  const list = (values: number[]) => `ARRAY[${values.join(',') || 'NULL'}]::int[]`;
  // The new id of clone g of the template row whose rank is `rank` among `size` template rows.
  const newId = (table: string, size: number, rank: string) => `(${base[table]} + (g - 1) * ${size} + ${rank} + 1)`;
  const article = (column: string) => newId('articles', arts.length, `array_position(${list(arts)}, t.${q(column)}) - 1`);
  const paragraph = (column: string) => newId('components_content_paragraphs', pars.length, `array_position(${list(pars)}, t.${q(column)}) - 1`);
  const figure = (column: string) => newId('components_media_figures', figs.length, `array_position(${list(figs)}, t.${q(column)}) - 1`);
  const counts: Record<string, number> = {};
  const cloned = async (table: string, where: string, overrides: Record<string, string>, from: number, to: number) => {
    const size = Number((await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${q(table)} WHERE ${where}`)).rows[0].n);
    if (size === 0) return;
    const withId = base[table] !== undefined;
    counts[table] =
      (counts[table] ?? 0) +
      (await cloneRows(
        client,
        table,
        withId ? `s.id IN (SELECT id FROM ${q(table)} WHERE ${where})` : `s.ctid IN (SELECT ctid FROM ${q(table)} WHERE ${where})`,
        withId ? 's.id' : 's.ctid',
        withId ? { id: newId(table, size, 't.r'), ...overrides } : overrides,
        from,
        to
      ));
  };

  for (let from = 1; from <= count; from += BATCH) {
    const to = Math.min(count, from + BATCH - 1);
    await client.query('BEGIN');
    try {
      await cloned('articles', `id = ANY(${list(arts)})`, {
        document_id: CLONE_DOCUMENT_ID,
        slug: `t.slug || '-' || g`,
        headline: `t.headline || ' (' || g || ')'`,
        import_source: `'bench-' || g || '.txt'`,
        first_publish_date: `t.first_publish_date - g * interval '1 minute'`,
        published_at: `t.published_at - g * interval '1 minute'`,
        created_at: `t.created_at - g * interval '1 minute'`,
        updated_at: `t.updated_at - g * interval '1 minute'`,
      }, from, to);
      await cloned('components_content_paragraphs', `id = ANY(${list(pars)})`, {}, from, to);
      await cloned('components_media_figures', `id = ANY(${list(figs)})`, {}, from, to);
      await cloned('articles_cmps', `id = ANY(${list(cmps)})`, {
        entity_id: article('entity_id'),
        cmp_id: `CASE t.component_type WHEN 'content.paragraph' THEN ${paragraph('cmp_id')} ELSE ${figure('cmp_id')} END`,
      }, from, to);
      await cloned('components_media_figures_credit_lnk', `figure_id = ANY(${list(figs)})`, { figure_id: figure('figure_id') }, from, to);
      await cloned('articles_credits_lnk', `article_id = ANY(${list(arts)})`, { article_id: article('article_id') }, from, to);
      for (const link of ['articles_authors_lnk', 'articles_section_lnk', 'articles_tags_lnk']) {
        await cloned(link, `article_id = ANY(${list(arts)})`, { article_id: article('article_id') }, from, to);
      }
      await cloned('files_related_mph', `related_type = 'media.figure' AND related_id = ANY(${list(figs)})`, { related_id: figure('related_id') }, from, to);
      for (const { table, columns } of perArticle) {
        const overrides: Record<string, string> = { document_id: CLONE_DOCUMENT_ID };
        // The read model's copy of the first publication (search orders candidates by it).
        if (columns.some((c) => c.name === 'first_publish_date')) overrides.first_publish_date = `t.first_publish_date - g * interval '1 minute'`;
        for (const column of columns) {
          if (column.name !== 'document_id' && ['text', 'character varying', 'json', 'jsonb'].includes(column.type)) overrides[column.name] = rewrite(column);
        }
        await cloned(table, `document_id = ${literal(documentId)}`, overrides, from, to);
      }
      // Search's rare word (rows 14–16): in the text and the index of one clone in 1,000, as an
      // import of a story saying it would write them.
      if (perArticle.some((p) => p.table === 'article_read_model')) {
        await client.query(
          `UPDATE article_read_model
              SET search_text = search_text || E'\\n' || $1,
                  search = search || setweight(to_tsvector('news_en', $1), 'C')
            WHERE document_id IN (SELECT ${CLONE_DOCUMENT_ID} FROM generate_series($2::int, $3::int) AS g WHERE g % ${SEARCH_RARE_EVERY} = ${SEARCH_RARE_EVERY / 2})`,
          [`The ${SEARCH_RARE_WORD} played at the reception.`, from, to]
        );
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    }
    say(`  ${to.toLocaleString('en-US')} / ${count.toLocaleString('en-US')}`);
  }
  for (const table of Object.keys(base)) {
    await client.query(`SELECT setval(pg_get_serial_sequence($1, 'id'), GREATEST((SELECT max(id) FROM ${q(table)}), 1))`, [table]);
  }
  for (const table of new Set([...Object.keys(base), ...perArticle.map((p) => p.table)])) await client.query(`ANALYZE ${q(table)}`);
  say(`  rows written: ${Object.entries(counts).map(([t, n]) => `${t} ${n.toLocaleString('en-US')}`).join(', ')}`);
  return `${SLUG}-${Math.ceil(count / 2)}`;
}
