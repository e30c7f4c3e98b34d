import { json } from '../helpers/http';
import { sql } from '../helpers/database';
import { startApp, TEST_ADMIN, type TestApp } from '../helpers/strapi';
import { DESK_COLUMNS, TITLE_FIELDS } from '../../src/bootstrap/admin-layout';

/**
 * The editor's desk, as the admin reads it from the content manager's own configuration API:
 * body items titled by their words (the components' `mainField`), the Article list's columns.
 * Set on the first boot and once on the first boot after an upgrade; an admin's own change is
 * never undone by a later boot.
 */
let app: TestApp;
let token: string;

const admin = async (method: string, path: string, body?: unknown) => {
  const response = await fetch(`${app.baseUrl}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: response.status, body: await json(response) };
};
const logIn = async () => {
  token = (await json(await fetch(`${app.baseUrl}/admin/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(TEST_ADMIN) }))).data.token;
};
const restart = async () => {
  const { databaseUrl, databaseName } = app;
  await app.stop({ keepDatabase: true });
  app = await startApp({ databaseUrl, databaseName });
  await logIn();
};

/** What the edit view of an article gets: its own layout and its components' settings. */
const articleView = async () => {
  const answer = await admin('GET', '/content-manager/content-types/api::article.article/configuration');
  expect(answer.status).toBe(200);
  return answer.body.data as { contentType: { layouts: { list: string[] } }; components: Record<string, { settings: { mainField: string } }> };
};
const titles = async () => Object.fromEntries(Object.entries((await articleView()).components).map(([uid, c]) => [uid, c.settings.mainField]));

beforeAll(async () => {
  app = await startApp();
  await logIn();
});
afterAll(async () => {
  await app?.stop();
});

test('a fresh installation: paragraphs titled by their text, figures by their caption, the list an editor scans', async () => {
  expect(await titles()).toMatchObject(TITLE_FIELDS);
  expect((await articleView()).contentType.layouts.list).toEqual(DESK_COLUMNS);
  // What the list view gets for its columns: the section by name, the last editor by name.
  const list = await admin('GET', '/content-manager/collection-types/api::article.article?page=1&pageSize=10&locale=en');
  expect(list.status).toBe(200);
});

test('an installation from before: the next boot titles the body items once; an admin change then survives restarts', async () => {
  // The database as a previous release left it: Strapi's own titles (the id), no record of the step.
  for (const uid of Object.keys(TITLE_FIELDS)) {
    const key = `plugin_content_manager_configuration_components::${uid}`;
    const [row] = await sql<{ value: string }>(app.databaseUrl, `SELECT value FROM strapi_core_store_settings WHERE key = $1`, [key]);
    const value = JSON.parse(row.value) as { settings: Record<string, unknown> };
    value.settings.mainField = 'id';
    await sql(app.databaseUrl, `UPDATE strapi_core_store_settings SET value = $2 WHERE key = $1`, [key, JSON.stringify(value)]);
  }
  const [seeded] = await sql<{ value: string }>(app.databaseUrl, `SELECT value FROM strapi_core_store_settings WHERE key = 'plugin_news_seeded'`);
  const steps = JSON.parse(seeded.value) as Record<string, string>;
  delete steps['component-titles'];
  await sql(app.databaseUrl, `UPDATE strapi_core_store_settings SET value = $1 WHERE key = 'plugin_news_seeded'`, [JSON.stringify(steps)]);
  expect((await titles())['content.paragraph']).toBe('id');

  await restart();
  expect(await titles()).toMatchObject(TITLE_FIELDS);
  // Strapi's own sync at boot keeps the list's columns (the last editor included).
  expect((await articleView()).contentType.layouts.list).toEqual(DESK_COLUMNS);

  // An admin titles figures by their alt text instead ("Configure the view" of the component).
  const figure = await admin('GET', '/content-manager/components/media.figure/configuration');
  expect(figure.status).toBe(200);
  const { settings, metadatas, layouts } = figure.body.data.component;
  const changed = await admin('PUT', '/content-manager/components/media.figure/configuration', { settings: { ...settings, mainField: 'alt' }, metadatas, layouts });
  expect(changed.status).toBe(200);
  await restart();
  expect((await titles())['media.figure']).toBe('alt');
  expect((await titles())['content.paragraph']).toBe('text');
});
