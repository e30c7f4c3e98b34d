import type { adminClient } from '../../scripts/lib/instances';

/**
 * The ways a story changes, as the freshness suites make them (tests/cluster/freshness.test.ts at
 * the origin, tests/cluster/edge.test.ts at the edge): each one as its users make it, against the
 * instance at `base`. Each throws when the write is refused.
 */
type Admin = Awaited<ReturnType<typeof adminClient>>;

const ARTICLE_CM = '/content-manager/collection-types/api::article.article';
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==', 'base64');

async function ok(what: string, response: Response, status = 200): Promise<Response> {
  if (response.status !== status) throw new Error(`${what}: ${response.status} ${await response.text()}`);
  return response;
}

/** A content-API update with a full-access token (it publishes, in Strapi 5). */
export async function contentApiHeadline(base: string, token: string, documentId: string, headline: string): Promise<void> {
  await ok(
    'content-API update',
    await fetch(`${base}/api/articles/${documentId}?locale=en`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ data: { headline } }),
    })
  );
}

/** A GraphQL mutation that saves and publishes. */
export async function graphqlHeadline(base: string, token: string, documentId: string, headline: string): Promise<void> {
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query: `mutation { updateArticle(documentId: "${documentId}", locale: "en", status: PUBLISHED, data: { headline: ${JSON.stringify(headline)} }) { headline } }` }),
  });
  const body = (await response.json()) as { errors?: unknown };
  if (body.errors) throw new Error(`GraphQL mutation: ${JSON.stringify(body.errors)}`);
}

/** A credit renamed through the content API. */
export async function renameCredit(base: string, token: string, creditId: string, name: string): Promise<void> {
  await ok(
    'credit rename',
    await fetch(`${base}/api/image-credits/${creditId}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ data: { name } }),
    })
  );
}

/** A file uploaded to the media library and made the article's lead image (an admin publish). */
export async function leadImage(base: string, admin: Admin, documentId: string, alternativeText: string): Promise<number> {
  const form = new FormData();
  form.append('files', new Blob([PNG], { type: 'image/png' }), 'lead.png');
  form.append('fileInfo', JSON.stringify({ alternativeText, name: 'lead.png' }));
  const uploaded = await ok('upload', await fetch(`${base}/upload`, { method: 'POST', headers: { authorization: `Bearer ${admin.token}` }, body: form }), 201);
  const [file] = (await uploaded.json()) as Array<{ id: number }>;
  const current = await admin.call('GET', `${ARTICLE_CM}/${documentId}?locale=en`, undefined, base);
  const data = current.body?.data as { version: number; lead: Record<string, unknown> };
  const saved = await admin.call('POST', `${ARTICLE_CM}/${documentId}/actions/publish?locale=en`, { version: data.version, lead: { ...data.lead, image: file.id } }, base);
  if (saved.status !== 200) throw new Error(`publish with the image: ${saved.status}`);
  return file.id;
}

/** A file's alternative text edited in the media library. */
export async function editAltText(base: string, admin: Admin, fileId: number, alternativeText: string): Promise<void> {
  const info = new FormData();
  info.append('fileInfo', JSON.stringify({ alternativeText, name: 'lead.png' }));
  await ok('media library edit', await fetch(`${base}/upload?id=${fileId}`, { method: 'POST', headers: { authorization: `Bearer ${admin.token}` }, body: info }));
}

/** A bulk action of the content manager's list view on one article. */
export async function bulk(admin: Admin, action: 'bulkPublish' | 'bulkUnpublish', documentId: string): Promise<void> {
  const result = await admin.call('POST', `${ARTICLE_CM}/actions/${action}?locale=en`, { documentIds: [documentId] });
  if (result.status !== 200) throw new Error(`${action}: ${result.status}`);
}

/** The Public role's permission to read articles, set through the admin (a permission change). */
export async function publicArticleReads(admin: Admin): Promise<(enabled: boolean) => Promise<void>> {
  const roles = await admin.call('GET', '/users-permissions/roles');
  const publicRole = (roles.body as { roles: Array<{ id: number; type: string }> }).roles.find((r) => r.type === 'public') as { id: number };
  const role = await admin.call('GET', `/users-permissions/roles/${publicRole.id}`);
  type Permissions = Record<string, { controllers: Record<string, Record<string, { enabled: boolean }>> }>;
  const current = (role.body as { role: { name: string; description: string; permissions: Permissions } }).role;
  return async (enabled) => {
    const copy = JSON.parse(JSON.stringify(current.permissions)) as Permissions;
    for (const action of ['find', 'findOne', 'jsonld', 'ninjs']) {
      const entry = copy['api::article'].controllers.article[action];
      if (entry) entry.enabled = enabled;
    }
    const saved = await admin.call('PUT', `/users-permissions/roles/${publicRole.id}`, { name: current.name, description: current.description, permissions: copy });
    if (saved.status !== 200) throw new Error(`role update: ${saved.status}`);
  };
}
