import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importStories } from '../../scripts/import';
import { writeStory } from '../../src/importer/write-story';
import { parseStory, type Story } from '../../src/story';
import { runCli } from '../helpers/cli';
import { sql } from '../helpers/database';
import { json } from '../helpers/http';
import { startApp, type TestApp } from '../helpers/strapi';

const ARTICLE = 'api::article.article';
let app: TestApp;
let dir: string;

beforeAll(async () => {
  app = await startApp();
  dir = mkdtempSync(join(tmpdir(), 'news-import-'));
});
afterAll(async () => {
  await app?.stop();
});

let counter = 0;
function story(text: string, name = `story_${(counter += 1)}`): Story {
  const result = parseStory(text, `${name}.txt`);
  if (!result.ok) throw new Error(result.error.message);
  return result.story;
}
function storyFile(text: string, name = `file_${(counter += 1)}`): string {
  const path = join(dir, `${name}.txt`);
  writeFileSync(path, text);
  return path;
}
const TEXT = (headline: string, extra = '') =>
  `${headline}\n\nA harbour at dawn. Credit: AP\n\nFirst paragraph.\n\nSecond paragraph.${extra}\n\nPhoto of the mayor. Credit: AP\n\nThird paragraph.\n`;

async function counts() {
  const [row] = await sql<{ articles: string; credits: string; figures: string; paragraphs: string }>(
    app.databaseUrl,
    `SELECT (SELECT count(*) FROM articles) AS articles, (SELECT count(*) FROM image_credits) AS credits,
            (SELECT count(*) FROM components_media_figures) AS figures,
            (SELECT count(*) FROM components_content_paragraphs) AS paragraphs`
  );
  return row;
}
const cliEnv = () => ({ DATABASE_URL: app.databaseUrl });
const options = { locale: 'en', status: 'published' as const, force: false };

describe('the bundled story', () => {
  it('is published with its figures, captions and credits; a re-run is unchanged', async () => {
    const first = await runCli(['seed'], cliEnv());
    expect(first.stderr).not.toMatch(/error/i);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('created 1, updated 0, unchanged 0, skipped 0');

    const list = await json(await fetch(`${app.baseUrl}/api/articles?filters[slug][$eq]=putin-visits-chinas-little-moscow-as-allies-continue-to-discuss-trade`));
    expect(list.data).toHaveLength(1);
    const documentId = list.data[0].documentId;
    const doc = await app.strapi.documents(ARTICLE).findOne({
      documentId,
      locale: 'en',
      status: 'published',
      populate: { lead: { populate: ['credit'] }, body: { on: { 'media.figure': { populate: ['credit'] }, 'content.paragraph': true } }, credits: true },
    } as never) as unknown as { headline: string; lead: { caption: string; credit: { name: string } }; body: Array<{ __component: string; text?: string; caption?: string; credit?: { name: string } }>; credits: Array<{ name: string }> };
    expect(doc.headline).toBe("Putin visits China's 'Little Moscow' as allies continue to discuss trade");
    expect(doc.lead.credit.name).toBe('AP');
    expect(doc.lead.caption).toMatch(/^Russian President Vladimir Putin, left,/);
    expect(doc.body.filter((b) => b.__component === 'content.paragraph')).toHaveLength(13);
    expect(doc.body[6]).toMatchObject({ __component: 'media.figure', credit: { name: 'AP' } });
    expect(JSON.stringify(doc.body)).not.toContain('Want a quick and expert briefing');
    expect(JSON.stringify(doc.body)).toContain('China’s');
    expect(doc.credits.map((c) => c.name)).toEqual(['AP']);

    const before = await counts();
    const again = await runCli(['seed'], cliEnv());
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('created 0, updated 0, unchanged 1, skipped 0');
    expect(await counts()).toEqual(before);
    expect(Number(before.credits)).toBe(1);
  });
});

describe('writeStory', () => {
  it('is idempotent: same documentId, no duplicate articles, figures or credits', async () => {
    const s = story(TEXT('Idempotent headline'));
    expect(await writeStory(app.strapi, s, options)).toBe('created');
    const before = await counts();
    expect(await writeStory(app.strapi, s, options)).toBe('unchanged');
    expect(await counts()).toEqual(before);
  });

  it('changed copy, the headline included, updates the article', async () => {
    const name = 'changing_story';
    await writeStory(app.strapi, story(TEXT('Original headline'), name), options);
    expect(await writeStory(app.strapi, story(TEXT('Revised headline'), name), options)).toBe('updated');
    const rows = await sql<{ headline: string; published_at: Date | null }>(
      app.databaseUrl,
      `SELECT headline, published_at FROM articles WHERE import_source = $1`,
      [name]
    );
    expect(rows).toHaveLength(2);
    expect(rows.every((r) => r.headline === 'Revised headline')).toBe(true);
  });

  it('an editor revision wins over a re-import; --force overwrites it', async () => {
    const name = 'edited_story';
    await writeStory(app.strapi, story(TEXT('Wire headline'), name), options);
    const [row] = await sql<{ document_id: string }>(app.databaseUrl, `SELECT document_id FROM articles WHERE import_source = $1 LIMIT 1`, [name]);
    await app.strapi.documents(ARTICLE).update({ documentId: row.document_id, locale: 'en', data: { headline: 'Editor headline' } } as never);
    expect(await writeStory(app.strapi, story(TEXT('Wire headline 2'), name), options)).toBe('skipped');
    expect(await writeStory(app.strapi, story(TEXT('Wire headline'), name), options)).toBe('skipped');
    const draft = await app.strapi.documents(ARTICLE).findOne({ documentId: row.document_id, locale: 'en' } as never);
    expect(draft?.headline).toBe('Editor headline');
    expect(await writeStory(app.strapi, story(TEXT('Wire headline 2'), name), { ...options, force: true })).toBe('updated');
    const forced = await app.strapi.documents(ARTICLE).findOne({ documentId: row.document_id, locale: 'en', status: 'published' } as never);
    expect(forced?.headline).toBe('Wire headline 2');
  });

  it('an unpublish by an editor counts as a revision: the seed never republishes it', async () => {
    const name = 'unpublished_story';
    await writeStory(app.strapi, story(TEXT('To be pulled'), name), options);
    const [row] = await sql<{ document_id: string }>(app.databaseUrl, `SELECT document_id FROM articles WHERE import_source = $1 LIMIT 1`, [name]);
    await app.strapi.documents(ARTICLE).unpublish({ documentId: row.document_id, locale: 'en' } as never);
    expect(await writeStory(app.strapi, story(TEXT('To be pulled'), name), options)).toBe('skipped');
    const published = await sql(app.databaseUrl, `SELECT id FROM articles WHERE document_id = $1 AND published_at IS NOT NULL`, [row.document_id]);
    expect(published).toHaveLength(0);
  });

  it('--draft writes the draft only and never unpublishes', async () => {
    const name = 'draft_story';
    await writeStory(app.strapi, story(TEXT('Published version'), name), options);
    expect(await writeStory(app.strapi, story(TEXT('Draft version'), name), { ...options, status: 'draft' })).toBe('updated');
    const rows = await sql<{ headline: string; published: boolean }>(
      app.databaseUrl,
      `SELECT headline, published_at IS NOT NULL AS published FROM articles WHERE import_source = $1 ORDER BY published`,
      [name]
    );
    expect(rows).toEqual([
      { headline: 'Draft version', published: false },
      { headline: 'Published version', published: true },
    ]);
    const fresh = 'draft_only_story';
    expect(await writeStory(app.strapi, story(TEXT('Never published'), fresh), { ...options, status: 'draft' })).toBe('created');
    const freshRows = await sql(app.databaseUrl, `SELECT id FROM articles WHERE import_source = $1 AND published_at IS NOT NULL`, [fresh]);
    expect(freshRows).toHaveLength(0);
  });

  it('another locale of the same source is a translation of the same document', async () => {
    const name = 'translated_story';
    await writeStory(app.strapi, story(TEXT('English headline'), name), options);
    expect(await writeStory(app.strapi, story(TEXT('Русский заголовок'), name), { ...options, locale: 'ru' })).toBe('created');
    const rows = await sql<{ document_id: string; locale: string }>(
      app.databaseUrl,
      `SELECT DISTINCT document_id, locale FROM articles WHERE import_source = $1 ORDER BY locale`,
      [name]
    );
    expect(rows.map((r) => r.locale)).toEqual(['en', 'ru']);
    expect(new Set(rows.map((r) => r.document_id)).size).toBe(1);
  });

  it('one credit record per name, however many photos use it', async () => {
    await writeStory(app.strapi, story(`Credits\n\nA. Credit: Agencja Wyborcza.pl/Reuters\n\nText.\n\nB. Credit: Agencja Wyborcza.pl/Reuters\n\nMore.\n`), options);
    const rows = await sql(app.databaseUrl, `SELECT id FROM image_credits WHERE name = 'Agencja Wyborcza.pl/Reuters'`);
    expect(rows).toHaveLength(1);
  });
});

describe('concurrency and interruption', () => {
  it('two importers at once: the same new credit is created once, both stories are written', async () => {
    const credit = `Concurrent Agency ${Date.now()}`;
    const a = story(`Concurrent one\n\nA. Credit: ${credit}\n\nText one.\n`);
    const b = story(`Concurrent two\n\nB. Credit: ${credit}\n\nText two.\n`);
    const outcomes = await Promise.all([writeStory(app.strapi, a, options), writeStory(app.strapi, b, options)]);
    expect(outcomes).toEqual(['created', 'created']);
    expect(await sql(app.databaseUrl, `SELECT id FROM image_credits WHERE name = $1`, [credit])).toHaveLength(1);
  });

  it('killed mid-batch: only whole stories are in the database; running it again completes the batch', async () => {
    const batch = mkdtempSync(join(tmpdir(), 'news-kill-'));
    const total = 40;
    for (let n = 1; n <= total; n += 1) {
      writeFileSync(join(batch, `kill_${String(n).padStart(3, '0')}.txt`), TEXT(`Batch story ${n}`));
    }
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [join(__dirname, '..', '..', 'scripts', 'cli.js'), 'import', batch], {
      env: { ...process.env, NEWS_SKIP_BUILD: 'true', LOG_LEVEL: 'error', DATABASE_URL: app.databaseUrl },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    // kill -9 once a few stories are in
    await new Promise<void>((resolve) => {
      let seen = 0;
      child.stderr.on('data', (chunk: Buffer) => {
        seen += (chunk.toString().match(/: created/g) ?? []).length;
        if (seen >= 5) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', () => resolve());
    });
    const rows = await sql<{ import_source: string; paragraphs: string; figures: string }>(
      app.databaseUrl,
      `SELECT a.import_source,
              (SELECT count(*) FROM articles_cmps c WHERE c.entity_id = a.id AND c.component_type = 'content.paragraph') AS paragraphs,
              (SELECT count(*) FROM articles_cmps c WHERE c.entity_id = a.id AND c.component_type = 'media.figure') AS figures
         FROM articles a WHERE a.import_source LIKE 'kill_%'`
    );
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThan(total * 2);
    for (const row of rows) {
      expect(Number(row.paragraphs)).toBe(3);
      expect(Number(row.figures)).toBe(2); // the lead and the body photo
    }
    const rerun = await runCli(['import', batch], cliEnv());
    expect(rerun.code).toBe(0);
    const done = await sql(app.databaseUrl, `SELECT DISTINCT import_source FROM articles WHERE import_source LIKE 'kill_%' AND published_at IS NOT NULL`);
    expect(done).toHaveLength(total);
  });
});

describe('npm run import', () => {
  it('--dry-run prints the parsed stories as JSON and writes nothing', async () => {
    const before = await counts();
    const file = storyFile(TEXT('Dry run headline'), 'dry_run');
    const result = await runCli(['import', '--dry-run', file], cliEnv());
    expect(result.code).toBe(0);
    const parsed = JSON.parse(result.stdout);
    expect(parsed).toHaveLength(1);
    expect(parsed[0]).toMatchObject({ source: 'dry_run', headline: 'Dry run headline' });
    expect(await counts()).toEqual(before);
  });

  it('usage errors exit 2', async () => {
    expect((await runCli(['import'], cliEnv())).code).toBe(2);
    expect((await runCli(['import', '--bogus', 'x.txt'], cliEnv())).code).toBe(2);
    expect((await runCli(['import', '--locale', 'xx', storyFile(TEXT('x'))], cliEnv())).code).toBe(2);
  });

  it.each([
    ['empty', ''],
    ['whitespace only', '  \n\n \t\n'],
    ['headline only', 'Just a headline\n'],
    ['no body paragraph', 'Headline\n\nA photo. Credit: AP\n'],
    ['headline over 300 code points', `${'語'.repeat(301)}\n\nBody.\n`],
  ])('bad input (%s): exit 1, the file named, nothing written — the whole batch', async (_label, text) => {
    const good = storyFile(TEXT('A good story in a bad batch'));
    const bad = storyFile(text, 'bad_file');
    const before = await counts();
    const result = await runCli(['import', good, bad], cliEnv());
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('bad_file.txt');
    expect(await counts()).toEqual(before);
  });

  it('bad input (not UTF-8, binary): exit 1, nothing written', async () => {
    const latin1 = join(dir, 'latin1.txt');
    writeFileSync(latin1, Buffer.from([0x48, 0x65, 0x61, 0x64, 0x0a, 0x0a, 0x43, 0x61, 0x66, 0xe9, 0x0a]));
    const binary = join(dir, 'binary.txt');
    writeFileSync(binary, Buffer.from([0x00, 0x01, 0x02, 0xff, 0x00]));
    const before = await counts();
    for (const file of [latin1, binary]) {
      const result = await runCli(['import', file], cliEnv());
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(file);
    }
    expect(await counts()).toEqual(before);
  });

  it('a story revised by an editor is skipped with exit 3; the others are written', async () => {
    const edited = storyFile(TEXT('Will be edited'), 'cli_edited');
    const other = storyFile(TEXT('Other story'), 'cli_other');
    expect((await runCli(['import', edited], cliEnv())).code).toBe(0);
    const [row] = await sql<{ document_id: string }>(app.databaseUrl, `SELECT document_id FROM articles WHERE import_source = 'cli_edited' LIMIT 1`);
    await app.strapi.documents(ARTICLE).update({ documentId: row.document_id, locale: 'en', data: { standfirst: 'An editor was here.' } } as never);
    const result = await runCli(['import', edited, other], cliEnv());
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('skipped: revised by an editor since import');
    expect(result.stdout).toContain('created 1, updated 0, unchanged 0, skipped 1');
  });

  it('importStories reports one summary line', async () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      await importStories(app.strapi, [story(TEXT('Summary story'))], options);
      expect(log).toHaveBeenCalledWith('created 1, updated 0, unchanged 0, skipped 0');
    } finally {
      log.mockRestore();
    }
  });
});
