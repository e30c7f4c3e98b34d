import { publishBundledStory } from '../helpers/stories';
import { json } from '../helpers/http';
import { sql } from '../helpers/database';
import { startApp, type TestApp } from '../helpers/strapi';

let app: TestApp;

beforeAll(async () => {
  app = await startApp();
});

afterAll(async () => {
  await app?.stop();
});

const get = (path: string, init?: RequestInit) => fetch(`${app.baseUrl}${path}`, init);

describe('migrations', () => {
  it('a booted database has run every file of database/migrations once, and has the tables they make', async () => {
    const ran = await sql<{ name: string }>(app.databaseUrl, 'SELECT name FROM strapi_migrations ORDER BY name');
    expect(ran.map((r) => r.name)).toEqual(expect.arrayContaining(['2026.11.30T00.00.00.first-publish-date.js', '2026.12.02T00.00.00.service-tables.js']));
    expect(new Set(ran.map((r) => r.name)).size).toBe(ran.length);
    const tables = await sql<{ n: string }>(app.databaseUrl, `SELECT count(*) AS n FROM information_schema.tables WHERE table_name IN ('article_read_model', 'article_schedules', 'edge_purge_outbox', 'article_edit_leases')`);
    expect(tables[0].n).toBe('4');
  });
});

describe('content model', () => {
  it('article: draft & publish, localized, with the newsroom fields', () => {
    const article = app.strapi.contentType('api::article.article');
    expect(article.options?.draftAndPublish).toBe(true);
    expect((article.pluginOptions as { i18n?: { localized?: boolean } }).i18n?.localized).toBe(true);
    const a = article.attributes as Record<string, Record<string, unknown>>;
    expect(a.headline).toMatchObject({ type: 'text', required: true });
    expect(a.slug).toMatchObject({ type: 'string' });
    expect(a.standfirst).toMatchObject({ type: 'text' });
    expect(a.firstPublishDate).toMatchObject({ type: 'datetime' });
    expect(a.lead).toMatchObject({ type: 'component', component: 'media.figure', repeatable: false });
    expect(a.body).toMatchObject({ type: 'dynamiczone', components: ['content.paragraph', 'media.figure'] });
    expect(a.credits).toMatchObject({ type: 'relation', relation: 'manyToMany', target: 'api::image-credit.image-credit' });
    for (const field of ['importSource', 'importHash', 'importVersion', 'version']) {
      expect(a[field]).toMatchObject({ private: true });
    }
  });

  it('image credit: shared, not localized, no draft & publish, unique name', () => {
    const credit = app.strapi.contentType('api::image-credit.image-credit');
    expect(credit.options?.draftAndPublish).toBe(false);
    expect((credit.pluginOptions as { i18n?: { localized?: boolean } }).i18n?.localized).toBe(false);
    expect(credit.attributes).toMatchObject({
      name: { type: 'string', required: true, unique: true },
      fullName: { type: 'string' },
      url: { type: 'string' },
    });
  });

  it('figure component: image, caption, credit, alt', () => {
    const figure = app.strapi.components['media.figure'];
    expect(figure.attributes).toMatchObject({
      image: { type: 'media', multiple: false },
      caption: { type: 'text', maxLength: 1000 },
      credit: { type: 'relation', target: 'api::image-credit.image-credit' },
      alt: { type: 'string' },
    });
  });

  it('the database enforces what Strapi only checks in the application', async () => {
    const indexes = await sql<{ indexname: string; indexdef: string }>(
      app.databaseUrl,
      `SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('image_credits', 'articles')`
    );
    const byName = new Map(indexes.map((i) => [i.indexname, i.indexdef]));
    expect(byName.get('image_credits_name_unique')).toMatch(/UNIQUE INDEX .* \(name\)/);
    expect(byName.get('articles_locale_slug_state_unique')).toMatch(/UNIQUE INDEX/);
    expect(byName.get('articles_import_source_idx')).toBeDefined();
    await app.strapi.documents('api::image-credit.image-credit').create({ data: { name: 'Unique Test' } });
    await expect(
      sql(app.databaseUrl, `INSERT INTO image_credits (document_id, name) VALUES ('x', 'Unique Test')`)
    ).rejects.toThrow(/duplicate key/);
  });
});

describe('locales', () => {
  it('en (default), zh-Hans and ru exist', async () => {
    const locales = app.strapi.plugin('i18n').service('locales');
    const codes = ((await locales.find()) as Array<{ code: string }>).map((l) => l.code).sort();
    expect(codes).toEqual(['en', 'ru', 'zh-Hans']);
    expect(await locales.getDefaultLocale()).toBe('en');
  });
});

describe('public permissions', () => {
  it('anyone can read articles and credits', async () => {
    expect((await get('/api/articles')).status).toBe(200);
    expect((await get('/api/image-credits')).status).toBe(200);
  });

  it.each([
    ['POST', '/api/articles', { data: { headline: 'x' } }],
    ['PUT', '/api/articles/abc', { data: { headline: 'x' } }],
    ['DELETE', '/api/articles/abc', undefined],
    ['POST', '/api/image-credits', { data: { name: 'x' } }],
    ['PUT', '/api/image-credits/abc', { data: { name: 'x' } }],
    ['DELETE', '/api/image-credits/abc', undefined],
    ['POST', '/api/auth/local/register', { username: 'x', email: 'x@example.com', password: 'password123' }],
    ['GET', '/api/users', undefined],
  ])('anonymous %s %s is refused', async (method, path, body) => {
    const response = await get(path, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body ? JSON.stringify(body) : undefined,
    });
    expect([401, 403]).toContain(response.status);
  });

  it('public registration is off', async () => {
    const advanced = await app.strapi.store({ type: 'plugin', name: 'users-permissions', key: 'advanced' }).get();
    expect((advanced as { allow_register: boolean }).allow_register).toBe(false);
  });
});

describe('drafts stay private', () => {
  it('a draft article is not in the public list, whatever status is asked for', async () => {
    const draft = await app.strapi.documents('api::article.article').create({
      locale: 'en',
      data: { headline: 'Embargoed: not for readers yet', body: [{ __component: 'content.paragraph', text: 'Secret.' }] },
    } as never);
    const list = await json(await get('/api/articles'));
    expect(list.data.map((a: { documentId: string }) => a.documentId)).not.toContain(draft.documentId);
    expect((await get(`/api/articles/${draft.documentId}`)).status).toBe(404);
    const asked = await get('/api/articles?status=draft');
    if (asked.status === 200) {
      const body = await json(asked);
      expect(JSON.stringify(body)).not.toContain('Embargoed');
    } else {
      expect(asked.status).toBe(400);
    }
  });
});

describe('article rules', () => {
  it('a slug by the slug rule, unique per locale with -2', async () => {
    const documents = app.strapi.documents('api::article.article');
    const headline = 'Gdańsk’s mayor: “A city’s choice”';
    const one = await documents.create({ locale: 'en', data: { headline } } as never);
    const two = await documents.create({ locale: 'en', data: { headline } } as never);
    expect(one.slug).toBe('gdansks-mayor-a-citys-choice');
    expect(two.slug).toBe('gdansks-mayor-a-citys-choice-2');
  });

  it('firstPublishDate is set on the first publish and kept on republish', async () => {
    const documents = app.strapi.documents('api::article.article');
    const doc = await documents.create({ locale: 'en', data: { headline: 'Publish me twice' } } as never);
    await documents.publish({ documentId: doc.documentId, locale: 'en' } as never);
    const first = await documents.findOne({ documentId: doc.documentId, locale: 'en', status: 'published' } as never);
    expect(first?.firstPublishDate).toBeTruthy();
    await new Promise((r) => setTimeout(r, 20));
    await documents.update({ documentId: doc.documentId, locale: 'en', data: { standfirst: 'Now with a standfirst.' } } as never);
    await documents.publish({ documentId: doc.documentId, locale: 'en' } as never);
    const second = await documents.findOne({ documentId: doc.documentId, locale: 'en', status: 'published' } as never);
    expect(second?.standfirst).toBe('Now with a standfirst.');
    expect(second?.firstPublishDate).toBe(first?.firstPublishDate);
  });
});

describe('GraphQL', () => {
  it('exposes articles and image credits', async () => {
    const response = await get('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: '{ __schema { queryType { fields { name } } } }',
      }),
    });
    expect(response.status).toBe(200);
    const body = await json(response);
    const names = body.data.__schema.queryType.fields.map((f: { name: string }) => f.name);
    expect(names).toEqual(expect.arrayContaining(['articles', 'article', 'imageCredits', 'imageCredit']));
  });
});

describe('health', () => {
  it('GET /_health answers 2xx', async () => {
    const response = await get('/_health');
    expect(response.status).toBeGreaterThanOrEqual(200);
    expect(response.status).toBeLessThan(300);
  });
});

describe('bootstrap', () => {
  it('is idempotent: a second boot on the same database duplicates nothing', async () => {
    const count = async () =>
      (
        await sql<{ locales: string; permissions: string; admins: string }>(
          app.databaseUrl,
          `SELECT (SELECT count(*) FROM i18n_locale) AS locales,
                  (SELECT count(*) FROM up_permissions) AS permissions,
                  (SELECT count(*) FROM admin_users) AS admins`
        )
      )[0];
    const before = await count();
    expect(Number(before.locales)).toBe(3);
    expect(Number(before.admins)).toBe(1);
    const { databaseUrl, databaseName } = app;
    await app.stop({ keepDatabase: true });
    app = await startApp({ databaseUrl, databaseName });
    expect(await count()).toEqual(before);
  });

  it('an article from before the rename keeps its first publication date (firstPublishedAt → firstPublishDate)', async () => {
    await publishBundledStory(app.strapi);
    const { databaseUrl, databaseName } = app;
    await app.stop({ keepDatabase: true });
    // The database as the previous release left it: the date in the old column, the migration not run.
    await sql(databaseUrl, `ALTER TABLE articles ADD COLUMN IF NOT EXISTS first_published_at timestamp(6)`);
    await sql(databaseUrl, `UPDATE articles SET first_published_at = '2024-05-16T10:00:00Z', first_publish_date = NULL`);
    await sql(databaseUrl, `DELETE FROM strapi_migrations WHERE name LIKE '%first-publish-date%'`);
    app = await startApp({ databaseUrl, databaseName });
    const rows = await sql<{ date: Date }>(databaseUrl, `SELECT first_publish_date AS date FROM articles`);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row.date.toISOString()).toBe('2024-05-16T10:00:00.000Z');
    const list = await json(await get('/api/articles'));
    expect(list.data[0].firstPublishDate).toBe('2024-05-16T10:00:00.000Z');
  });

  it("a later boot leaves what admins changed alone (the roles say so where admins see them)", async () => {
    const publicRole = await app.strapi.db.query('plugin::users-permissions.role').findOne({ where: { type: 'public' } });
    expect(publicRole.description).toMatch(/first boot.*What you change here is kept/);
    const editorRole = await app.strapi.db.query('admin::role').findOne({ where: { code: 'strapi-editor' } });
    expect(editorRole.description).toMatch(/What you change here is kept/);
    // An admin closes credit pages to the public, opens the users list, and takes publishing from editors.
    await app.strapi.db.query('plugin::users-permissions.permission').deleteMany({ where: { action: 'api::image-credit.image-credit.findOne', role: publicRole.id } });
    await app.strapi.db.query('plugin::users-permissions.permission').create({ data: { action: 'plugin::users-permissions.user.find', role: publicRole.id } });
    await app.strapi.db.query('admin::permission').deleteMany({ where: { action: 'plugin::content-manager.explorer.publish', role: editorRole.id } });
    const { databaseUrl, databaseName } = app;
    await app.stop({ keepDatabase: true });
    app = await startApp({ databaseUrl, databaseName });
    const publicActions = ((await app.strapi.db.query('plugin::users-permissions.permission').findMany({ where: { role: publicRole.id } })) as Array<{ action: string }>).map((p) => p.action);
    expect(publicActions).not.toContain('api::image-credit.image-credit.findOne');
    expect(publicActions).toContain('plugin::users-permissions.user.find');
    expect(await app.strapi.db.query('admin::permission').count({ where: { action: 'plugin::content-manager.explorer.publish', role: editorRole.id } })).toBe(0);
  });

  it('an installation from before authors, sections, tags and scheduling: its Editor and Author roles get them on the next boot, once', async () => {
    const CM = 'plugin::content-manager.explorer';
    const ADDED = ['publishAt', 'unpublishAt', 'scheduleError', 'byline', 'dateline', 'authors', 'section', 'tags', 'corrections'];
    const NEW_TYPES = ['api::author.author', 'api::section.section', 'api::tag.tag'];
    const roleId = async (code: string) => ((await app.strapi.db.query('admin::role').findOne({ where: { code } })) as { id: number }).id;
    const editor = await roleId('strapi-editor');
    const author = await roleId('strapi-author');
    type Row = { id: number; action: string; subject: string; properties: { fields?: string[]; locales?: string[] }; conditions: string[] };
    const rows = async (role: number) => (await app.strapi.db.query('admin::permission').findMany({ where: { role } })) as Row[];
    const articleFields = async (role: number, action: string) => (await rows(role)).find((p) => p.subject === 'api::article.article' && p.action === `${CM}.${action}`)?.properties.fields ?? [];
    // A fresh installation: Strapi made both roles with everything.
    expect(await articleFields(editor, 'update')).toEqual(expect.arrayContaining(['byline', 'section', 'corrections.text', 'publishAt']));
    // Publish on a type without drafts means nothing (Strapi grants it on a first boot and drops it later).
    const onNewTypes = async (role: number) =>
      (await rows(role)).filter((p) => NEW_TYPES.includes(p.subject) && p.action !== `${CM}.publish`).map((p) => `${p.subject} ${p.action} ${p.conditions.join(',')}`).sort();
    const fresh = { editor: await onNewTypes(editor), author: await onNewTypes(author) };
    expect(fresh.editor).toContain(`api::tag.tag ${CM}.update `);
    expect(fresh.editor).toContain(`api::section.section ${CM}.delete `);

    // The database as a previous release left it: none of the new fields or types in the roles, no record.
    for (const role of [editor, author]) {
      for (const row of await rows(role)) {
        if (NEW_TYPES.includes(row.subject)) await app.strapi.db.query('admin::permission').delete({ where: { id: row.id } });
        else if (row.subject === 'api::article.article' && row.properties.fields) {
          const fields = row.properties.fields.filter((f) => !ADDED.includes(f.split('.')[0]));
          await app.strapi.db.query('admin::permission').update({ where: { id: row.id }, data: { properties: { ...row.properties, fields } } });
        }
      }
    }
    expect(await articleFields(editor, 'update')).not.toContain('byline');
    await sql(app.databaseUrl, `DELETE FROM strapi_core_store_settings WHERE key = 'plugin_news_content-model'`);
    let { databaseUrl, databaseName } = app;
    await app.stop({ keepDatabase: true });
    app = await startApp({ databaseUrl, databaseName });

    for (const action of ['create', 'read', 'update']) {
      expect(await articleFields(editor, action)).toEqual(expect.arrayContaining(['byline', 'dateline', 'authors', 'section', 'tags', 'corrections.kind', 'corrections.text', 'corrections.date', 'publishAt', 'unpublishAt']));
      expect(await articleFields(author, action)).toEqual(expect.arrayContaining(['byline', 'section', 'corrections.text']));
    }
    const sectionEdit = (await rows(editor)).find((p) => p.subject === 'api::section.section' && p.action === `${CM}.update`);
    expect(sectionEdit?.properties).toMatchObject({ fields: expect.arrayContaining(['name', 'slug']), locales: ['en', 'ru', 'zh-Hans'] });
    // The new types: what Strapi gives these roles on a first boot (the Author: its own entries).
    expect({ editor: await onNewTypes(editor), author: await onNewTypes(author) }).toEqual(fresh);
    expect(fresh.author).toContain(`api::tag.tag ${CM}.update admin::is-creator`);

    // Once: an admin takes the byline from editors, and the next boot leaves it taken.
    const update = (await rows(editor)).find((p) => p.subject === 'api::article.article' && p.action === `${CM}.update`) as Row;
    await app.strapi.db.query('admin::permission').update({ where: { id: update.id }, data: { properties: { ...update.properties, fields: (update.properties.fields ?? []).filter((f) => f !== 'byline') } } });
    ({ databaseUrl, databaseName } = app);
    await app.stop({ keepDatabase: true });
    app = await startApp({ databaseUrl, databaseName });
    expect(await articleFields(editor, 'update')).not.toContain('byline');
    expect(await articleFields(editor, 'update')).toContain('dateline');
  });
});
