import { json, type Json } from '../helpers/http';
import { publishStory } from '../helpers/stories';
import { Contract } from '../helpers/openapi';
import { startApp, type TestApp } from '../helpers/strapi';

/**
 * The first public promise, by construction: no public answer depends on a draft. Generated from
 * the running app, not from a list of routes: every GET route in Strapi's route table (with each
 * path parameter filled with a published and a draft-only document, and query variants), every
 * filter the content types' attributes allow (through relations and components, each operator,
 * counts included), and every GraphQL query field of the schema (all scalar fields, relations and
 * localizations below, filters on every string field). Each request is made before the drafts
 * exist and again after: the answers must be the same, byte for byte, and name no draft text.
 */
const ARTICLE = 'api::article.article';
const PENDING = 'zqxpending'; // words only a published article's pending edit contains
const DRAFT_ONLY = 'zqxdraftonly'; // words only a never-published article contains
const MARKERS = [PENDING, DRAFT_ONLY];

/**
 * A 200 that carries something: REST/GraphQL `data` that is not empty, or a page or feed (not JSON).
 */
function hasData(answer: string): boolean {
  if (!answer.startsWith('200 ')) return false;
  const text = answer.slice(4);
  try {
    const parsed = JSON.parse(text) as { data?: unknown; errors?: unknown };
    if (parsed.errors) return false;
    if (!('data' in parsed)) return Object.keys(parsed).length > 0; // JSON-LD, ninjs: the document itself
    const data = parsed.data;
    if (data === null || data === undefined) return false;
    if (Array.isArray(data)) return data.length > 0;
    if (typeof data === 'object') return Object.values(data as Record<string, unknown>).some((v) => v !== null && !(Array.isArray(v) && v.length === 0) && !(typeof v === 'object' && v !== null && Array.isArray((v as { nodes?: unknown[] }).nodes) && (v as { nodes: unknown[] }).nodes.length === 0));
    return true;
  } catch {
    return text.length > 0;
  }
}

/**
 * What the public reads: each must answer some question with data (the rest of the route table,
 * admin and account routes, is asked too, for leaks, but has nothing public to show).
 * Not here: /news/preview/:documentId (a signed link, not the public view), /_health, /_ready.
 */
const PUBLIC_KINDS = [
  'GET /api/articles',
  'GET /api/articles/:id',
  'GET /api/articles/:id/jsonld',
  'GET /api/articles/:id/ninjs',
  'GET /api/search',
  'GET /api/authors',
  'GET /api/authors/:id',
  'GET /api/image-credits',
  'GET /api/image-credits/:id',
  'GET /api/sections',
  'GET /api/sections/:id',
  'GET /api/tags',
  'GET /api/tags/:id',
  'GET /api/slug-redirects/:slug',
  'GET /news/:slug',
  'GET /news/corrections',
  'GET /rss.xml',
  'GET /atom.xml',
  'GET /corrections.rss',
  'GET /sections/:slug/rss.xml',
  'GET /sitemap.xml',
  'GET /news-sitemap.xml',
  'GraphQL article',
  'GraphQL articles',
  'GraphQL articles_connection',
  'GraphQL author',
  'GraphQL authors',
  'GraphQL imageCredit',
  'GraphQL imageCredits',
  'GraphQL section',
  'GraphQL sections',
  'GraphQL tag',
  'GraphQL tags',
];

describe.each([
  ['read model on', 'true'],
  ['read model off', 'false'],
])('public view, %s', (_label, readModel) => {
  let app: TestApp;
  let published: { documentId: string; slug: string };
  let second: { documentId: string; slug: string };
  let draft: { documentId: string; slug: string };
  let related: { author: string; section: string; tag: string };
  let oldSlug: string;
  let creditIds: string[];

  type Request = { key: string; kind: string; method: 'GET' | 'POST'; path: string; body?: string };
  const before = new Map<string, string>();
  const after = new Map<string, string>();
  const kinds = new Map<string, string>();
  /** Per request: the content type of its answer, and whether it carried the caching headers. */
  const asked = new Map<string, Request>();
  const answered = new Map<string, { contentType: string; etag: boolean; surrogateKey: boolean }>();

  beforeAll(async () => {
    // Every answer computed afresh: an answer that depends on a draft must show it.
    app = await startApp({ env: { CACHE_ENABLED: 'false', READ_MODEL_SERVE: readModel } });
    await publishStory(app.strapi, 'Harbor reopens after storm\n\nA crane at dawn. Credit: AP\n\nThe harbor reopened on Monday.\n', 'pv_harbor.txt');
    await publishStory(app.strapi, 'Council approves budget\n\nThe council met on Tuesday.\n', 'pv_council.txt');
    const documents = app.strapi.documents(ARTICLE);
    // Every public route has something to show: an author, a section and a tag on the harbor
    // story, and a slug redirect (the council story's slug rewritten after it was published).
    const ids = async (uid: string, data: Record<string, unknown>) =>
      ((await app.strapi.documents(uid as never).create({ locale: 'en', data } as never)) as { documentId: string }).documentId;
    const author = await ids('api::author.author', { name: 'Pat Reporter', slug: 'pat-reporter' });
    const section = await ids('api::section.section', { name: 'Harbor news', slug: 'harbor-news' });
    const tag = await ids('api::tag.tag', { name: 'Storms', slug: 'storms' });
    related = { author, section, tag };
    const initial = await json(await fetch(`${app.baseUrl}/api/articles?sort=headline:asc`));
    const [council, harbor] = initial.data.map((a: Json) => a.documentId as string);
    await documents.update({ documentId: harbor, locale: 'en', data: { authors: [author], section, tags: [tag] } } as never);
    await documents.publish({ documentId: harbor, locale: 'en' } as never);
    oldSlug = (initial.data[0] as Json).slug as string;
    await documents.update({ documentId: council, locale: 'en', data: { slug: `${oldSlug}-rewritten` } } as never);
    await documents.publish({ documentId: council, locale: 'en' } as never);
    const list = await json(await fetch(`${app.baseUrl}/api/articles?sort=headline:asc`));
    [second, published] = list.data.map((a: Json) => ({ documentId: a.documentId, slug: a.slug }));
    creditIds = (await json(await fetch(`${app.baseUrl}/api/image-credits`))).data.map((c: Json) => c.documentId as string);
    // The same document published in Russian, so `localizations` has something public to show.
    await documents.update({ documentId: published.documentId, locale: 'ru', data: { headline: 'Гавань открылась после шторма', body: [{ __component: 'content.paragraph', text: 'Гавань открылась.' }] } } as never);
    await documents.publish({ documentId: published.documentId, locale: 'ru' } as never);
    // Until it exists, the draft-only article's id is one that names nothing (a 404, as after).
    draft = { documentId: 'zzzzzzzzzzzzzzzzzzzzzzzz', slug: `${DRAFT_ONLY}-minister-resigns` };

    for (const request of await requests()) {
      before.set(request.key, await answer(request));
      kinds.set(request.key, request.kind);
    }

    // The drafts: a pending edit of the published article (every text field), a draft-only
    // translation of it, and a never-published article.
    const pendingBody = [
      { __component: 'content.paragraph', text: `${PENDING} paragraph of the unpublished edit.` },
      { __component: 'media.figure', caption: `${PENDING} caption of an unpublished photo.` },
    ];
    await documents.update({
      documentId: published.documentId,
      locale: 'en',
      data: { headline: `${PENDING} headline of the pending edit`, standfirst: `${PENDING} standfirst`, body: pendingBody, lead: { caption: `${PENDING} lead caption` } },
    } as never);
    await documents.update({ documentId: published.documentId, locale: 'zh-Hans', data: { headline: `${PENDING} 草稿标题`, slug: `${PENDING}-zh`, body: pendingBody } } as never);
    const created = (await documents.create({
      locale: 'en',
      data: { headline: `${DRAFT_ONLY} minister resigns`, slug: draft.slug, standfirst: `${DRAFT_ONLY} standfirst`, body: [{ __component: 'content.paragraph', text: `${DRAFT_ONLY} text.` }] },
    } as never)) as { documentId: string };
    draft.documentId = created.documentId;

    for (const request of await requests()) after.set(request.key, await answer(request));
  }, 600_000);

  afterAll(async () => {
    await app?.stop();
  });

  const DRAFT_ID = '{draft-id}';

  async function answer(request: Request): Promise<string> {
    const fill = (text: string) => text.split(DRAFT_ID).join(draft.documentId);
    const response = await fetch(`${app.baseUrl}${fill(request.path)}`, {
      method: request.method,
      headers: request.body ? { 'content-type': 'application/json' } : {},
      body: request.body === undefined ? undefined : fill(request.body),
    });
    const text = await response.text();
    asked.set(request.key, request);
    answered.set(request.key, { contentType: response.headers.get('content-type') ?? '', etag: response.headers.has('etag'), surrogateKey: response.headers.has('surrogate-key') });
    return `${response.status} ${text.split(draft.documentId).join(DRAFT_ID)}`;
  }

  // ---- what to ask: generated from the app -------------------------------------------------------

  interface Attribute {
    type: string;
    target?: string;
    component?: string;
    private?: boolean;
  }

  const STRING_TYPES = new Set(['string', 'text', 'uid', 'richtext', 'email']);

  /** Attribute paths a filter can take on a content type: strings, through relations and components. */
  function filterPaths(uid: string, depth = 0): string[][] {
    type Schemas = Record<string, { attributes: Record<string, Attribute> }>;
    const model = (app.strapi.contentTypes as unknown as Schemas)[uid] ?? (app.strapi.components as unknown as Schemas)[uid];
    if (!model) return [];
    const paths: string[][] = [];
    for (const [name, attribute] of Object.entries(model.attributes)) {
      if (attribute.private || ['createdBy', 'updatedBy'].includes(name)) continue;
      if (STRING_TYPES.has(attribute.type)) paths.push([name]);
      else if (depth === 0 && attribute.type === 'relation' && attribute.target) {
        for (const sub of filterPaths(attribute.target, depth + 1)) paths.push([name, ...sub]);
        paths.push([name, 'id']);
      } else if (depth === 0 && attribute.type === 'component' && attribute.component) {
        for (const sub of filterPaths(attribute.component, depth + 1)) paths.push([name, ...sub]);
      }
    }
    return paths;
  }

  function filterQueries(path: string[]): string[] {
    const field = `filters${path.map((p) => `[${p}]`).join('')}`;
    if (path[path.length - 1] === 'id') return [`${field}[$null]=true`, `${field}[$notNull]=true`];
    const queries = [`${field}[$null]=true`, `${field}[$notNull]=true`, `${field}[$eq]=${PENDING}-zh`];
    for (const marker of MARKERS) {
      queries.push(`${field}[$containsi]=${marker}`, `${field}[$startsWith]=${marker.slice(0, 4)}`, `${field}[$notContainsi]=${marker}`, `${field}[$not][$containsi]=${marker}`);
    }
    return queries;
  }

  interface RouteLayer {
    path: string;
    methods: string[];
  }

  async function requests(): Promise<Request[]> {
    const out: Request[] = [];
    const add = (kind: string, method: 'GET' | 'POST', path: string, body?: string) => out.push({ key: `${method} ${path} ${body ?? ''}`, kind, method, path, body });

    // Every GET route Strapi serves, from its route table.
    const routes = (app.strapi.server.listRoutes() as unknown as RouteLayer[]).filter((r) => r.methods.includes('GET'));
    expect(routes.length).toBeGreaterThan(10);
    const articleIds = [published.documentId, second.documentId, DRAFT_ID];
    const idsFor = (path: string): string[] => {
      if (path.startsWith('/api/authors/')) return [related.author, DRAFT_ID];
      if (path.startsWith('/api/sections/')) return [related.section, DRAFT_ID];
      if (path.startsWith('/api/tags/')) return [related.tag, DRAFT_ID];
      if (path.startsWith('/api/image-credits/')) return [...creditIds, DRAFT_ID];
      return articleIds;
    };
    const slugs = [published.slug, draft.slug, `${PENDING}-zh`, 'harbor-news', oldSlug];
    const variants = ['', '?locale=en', '?locale=zh-Hans', '?locale=ru', '?locale=*', '?populate=*', '?populate[localizations]=*', '?populate[localizations][populate]=*', '?status=draft', '?status=published'];
    for (const route of routes) {
      if (route.path.includes('(') || route.path.startsWith('/admin')) continue;
      const params = [...route.path.matchAll(/:(\w+)/g)].map((m) => m[1]);
      const fills = params.length === 0 ? [route.path] : (params.some((p) => p === 'slug') ? slugs : idsFor(route.path)).map((value) => route.path.replace(/:\w+/g, value));
      if (route.path === '/api/search') fills.push('/api/search?q=harbor', `/api/search?q=${PENDING}`, `/api/search?q=${DRAFT_ID}`);
      if (route.path === '/sitemaps/:part.xml') fills.splice(0, fills.length, '/sitemaps/1.xml', '/sitemaps/2.xml');
      for (const path of fills) for (const variant of variants) add(`GET ${route.path}`, 'GET', `${path}${path.includes('?') && variant ? `&${variant.slice(1)}` : variant}`);
    }

    // Every filter the content types allow, on their public list routes, with counts.
    for (const [uid, list] of [[ARTICLE, '/api/articles'], ['api::image-credit.image-credit', '/api/image-credits']] as const) {
      for (const path of filterPaths(uid)) {
        for (const query of filterQueries(path)) {
          add(`filters on ${list} ${path.join('.')}`, 'GET', `${list}?${query}&pagination[withCount]=true`);
          add(`filters on ${list} ${path.join('.')}`, 'GET', `${list}?${query}&locale=*`);
        }
      }
    }

    // Every query field of the GraphQL schema.
    for (const [field, body] of await graphqlQueries()) add(`GraphQL ${field}`, 'POST', '/graphql', body);
    return out;
  }

  interface IntrospectedType {
    kind: string;
    name: string;
    fields?: Array<{ name: string; args: Array<{ name: string; type: TypeRef }>; type: TypeRef }>;
    inputFields?: Array<{ name: string; type: TypeRef }>;
  }
  interface TypeRef {
    kind: string;
    name: string | null;
    ofType: TypeRef | null;
  }

  const named = (ref: TypeRef): TypeRef => (ref.ofType ? named(ref.ofType) : ref);
  const required = <T extends { type: TypeRef }>(args: T[]): T[] => args.filter((a) => a.type.kind === 'NON_NULL');

  async function graphqlQueries(): Promise<Array<[string, string]>> {
    const introspection = await json(
      await fetch(`${app.baseUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: '{ __schema { queryType { name } types { kind name fields { name args { name type { ...T } } type { ...T } } inputFields { name type { ...T } } } } } fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }',
        }),
      })
    );
    const types = new Map<string, IntrospectedType>(introspection.data.__schema.types.map((t: IntrospectedType) => [t.name, t]));
    const query = types.get(introspection.data.__schema.queryType.name) as IntrospectedType;

    const selection = (typeName: string, depth: number): string => {
      const type = types.get(typeName);
      if (!type) return '';
      if (type.kind === 'UNION') return '__typename';
      const parts: string[] = [];
      for (const field of type.fields ?? []) {
        if (required(field.args).length > 0) continue;
        // Localizations of localizations are refused (400, by design): asked once, at the top.
        if (depth > 0 && field.name.startsWith('localizations')) continue;
        const target = named(field.type);
        if (target.kind === 'SCALAR' || target.kind === 'ENUM') parts.push(field.name);
        else if (depth < 2 && (target.kind === 'OBJECT' || target.kind === 'UNION')) {
          const inner = selection(target.name as string, depth + 1);
          if (inner) parts.push(`${field.name} { ${inner} }`);
        }
      }
      return parts.join(' ');
    };

    const stringFilters = (inputName: string, depth: number): string[] => {
      const input = types.get(inputName);
      const out: string[] = [];
      for (const field of input?.inputFields ?? []) {
        const target = named(field.type).name ?? '';
        if (target === 'StringFilterInput') for (const marker of MARKERS) out.push(`{ ${field.name}: { containsi: "${marker}" } }`);
        else if (depth === 0 && target.endsWith('FiltersInput') && !['and', 'or', 'not'].includes(field.name)) {
          for (const inner of stringFilters(target, depth + 1)) out.push(`{ ${field.name}: ${inner} }`);
        }
      }
      return out;
    };

    const bodies: Array<[string, string]> = [];
    for (const field of query.fields ?? []) {
      const target = named(field.type);
      const inner = selection(target.name as string, 0);
      if (!inner) continue;
      const hasArg = (name: string) => field.args.some((a) => a.name === name);
      const needs = required(field.args).map((a) => a.name);
      if (needs.some((n) => n !== 'documentId')) continue;
      const fieldIds: Record<string, string[]> = { author: [related.author], section: [related.section], tag: [related.tag], imageCredit: creditIds };
        const idArgs = needs.includes('documentId') ? [...(fieldIds[field.name] ?? [published.documentId, second.documentId]), DRAFT_ID].map((id) => `documentId: "${id}"`) : [''];
      for (const idArg of idArgs) {
        const argSets = [idArg];
        if (hasArg('locale')) argSets.push(...['zh-Hans', 'ru', 'en'].map((l) => [idArg, `locale: "${l}"`].filter(Boolean).join(', ')));
        if (hasArg('status')) argSets.push([idArg, 'status: PUBLISHED'].filter(Boolean).join(', '));
        // A small page: the whole selection under a page of 25 is over the query cost limit (400).
        if (hasArg('pagination')) argSets.push([idArg, 'pagination: { pageSize: 2 }'].filter(Boolean).join(', '));
        const filterInput = field.args.find((a) => a.name === 'filters');
        if (filterInput) for (const filter of stringFilters(named(filterInput.type).name as string, 0)) argSets.push(`filters: ${filter}`);
        for (const args of argSets) bodies.push([field.name, JSON.stringify({ query: `{ ${field.name}${args ? `(${args})` : ''} { ${inner} } }` })]);
      }
    }
    expect(bodies.length).toBeGreaterThan(20);
    return bodies;
  }

  // ---- the promise --------------------------------------------------------------------------------

  describe('no public answer depends on a draft (generated from the route table and the GraphQL schema)', () => {
    it('asked the same questions before and after the drafts existed', () => {
      expect(after.size).toBe(before.size);
      expect(before.size).toBeGreaterThan(500);
    });

    it('every kind of public question (each public route, each filtered field, each content GraphQL field) gets meaningful answers: some 200 with data', () => {
      const meaningful = new Map<string, string[]>();
      for (const [key, text] of before) {
        const kind = kinds.get(key) as string;
        const seen = meaningful.get(kind) ?? [];
        if (hasData(text)) seen.push(key);
        meaningful.set(kind, seen);
      }
      const mustShow = [...PUBLIC_KINDS, ...[...meaningful.keys()].filter((kind) => kind.startsWith('filters on '))];
      // A public kind the app no longer has is named too: this list cannot go stale silently.
      const missing = mustShow.filter((kind) => !meaningful.has(kind));
      expect(missing).toEqual([]);
      const empty = mustShow.filter((kind) => (meaningful.get(kind) ?? []).length === 0);
      expect(empty.map((kind) => `${kind}: e.g. ${[...before].find(([key]) => kinds.get(key) === kind)?.[1].slice(0, 160)}`)).toEqual([]);
      expect(mustShow.filter((kind) => kind.startsWith('filters on ')).length).toBeGreaterThan(20);
    });

    it('every answer names no draft text', () => {
      const leaks = [...after].filter(([, text]) => MARKERS.some((m) => text.toLowerCase().includes(m)) && !text.startsWith('400 '));
      expect(leaks.map(([key, text]) => `${key} → ${text.slice(0, 200)}`)).toEqual([]);
    });

    it('every answer is the same as before the drafts existed (no filter, count or relation can find them)', () => {
      const changed = [...after].filter(([key, text]) => before.get(key) !== text);
      expect(changed.map(([key, text]) => `${key}\n  before: ${before.get(key)?.slice(0, 300)}\n  after:  ${text.slice(0, 300)}`)).toEqual([]);
    });

    it('asking for drafts answers 400, the same over REST and GraphQL', async () => {
      const rest = await fetch(`${app.baseUrl}/api/articles?status=draft`);
      expect(rest.status).toBe(400);
      for (const query of [
        '{ articles(status: DRAFT) { headline } }',
        `{ article(documentId: "${published.documentId}", status: DRAFT) { headline } }`,
        '{ articles { localizations(status: DRAFT) { headline } } }',
        '{ articles(hasPublishedVersion: false) { headline } }',
        'query ($s: PublicationStatus) { articles(status: $s) { headline } }',
      ]) {
        const response = await fetch(`${app.baseUrl}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query, variables: { s: 'DRAFT' } }),
        });
        const text = await response.text();
        expect([response.status, query]).toEqual([400, query]);
        for (const marker of MARKERS) expect(text).not.toContain(marker);
      }
    });

    it('the leaks found in review stay closed: draft localizations, relation-filter oracles', async () => {
      const gql = async (query: string) =>
        json(await fetch(`${app.baseUrl}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) }));
      const nested = await gql(`{ article(documentId: "${published.documentId}") { headline localizations { headline locale publishedAt } } }`);
      expect(nested.errors).toBeUndefined();
      expect(nested.data.article.localizations).toEqual([expect.objectContaining({ locale: 'ru' })]);
      expect(nested.data.article.localizations.every((l: Json) => l.publishedAt !== null)).toBe(true);
      const oracle = async (word: string) => (await json(await fetch(`${app.baseUrl}/api/articles?filters[localizations][headline][$startsWith]=${encodeURIComponent(word)}`))).data.length;
      expect(await oracle(PENDING)).toBe(await oracle('nowhere-at-all'));
    });

    it('a caller allowed to write (a custom token with update) saves a draft through the content API; the public still reads the published text', async () => {
      const token = (await app.strapi.service('admin::api-token').create({
        name: 'writer',
        type: 'custom',
        lifespan: null,
        permissions: ['api::article.article.update', 'api::article.article.find', 'api::article.article.findOne'],
      })) as { accessKey: string };
      const saved = await fetch(`${app.baseUrl}/api/articles/${second.documentId}?locale=en&status=draft`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token.accessKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ data: { headline: 'Council budget: draft by a writer token' } }),
      });
      expect(saved.status).toBe(200);
      expect((await json(saved)).data.headline).toBe('Council budget: draft by a writer token');
      const rows = (await app.strapi.db.query(ARTICLE).findMany({ where: { documentId: second.documentId, locale: 'en' }, select: ['headline', 'publishedAt'] })) as Array<{ headline: string; publishedAt: unknown }>;
      expect(rows.map((r) => [r.headline, r.publishedAt === null]).sort()).toEqual([
        ['Council approves budget', false],
        ['Council budget: draft by a writer token', true],
      ]);
      const publicRead = await json(await fetch(`${app.baseUrl}/api/articles/${second.documentId}`));
      expect(publicRead.data.headline).toBe('Council approves budget');
    });
  });


  describe('the OpenAPI document (GET /api/openapi.json) describes every answer', () => {
    /** Scripts the admin panel loads (the presence clock, Strapi's preview script): not content. */
    const ADMIN_ASSETS = /^\/(news-admin\/presence\/clock\.js|content-manager\/preview\/script)(\?|$)/;
    let contract: Contract;
    beforeAll(async () => {
      contract = new Contract(await json(await fetch(`${app.baseUrl}/api/openapi.json`)));
    });

    /** Every answer asked above, before and after the drafts, with what it is checked against. */
    const everyAnswer = () =>
      [...before, ...after].map(([key, text]) => {
        const request = asked.get(key) as Request;
        const meta = answered.get(key) as { contentType: string; etag: boolean; surrogateKey: boolean };
        const status = Number(text.slice(0, 3));
        return { key, request, meta, status, body: text.slice(4) };
      });

    it('every answer on a documented path validates against the schema of its status and content type; the rest are refusals', () => {
      const problems: string[] = [];
      const validated = new Map<string, number>();
      for (const { key, request, meta, status, body } of everyAnswer()) {
        const found = contract.check({ method: request.method, url: request.path, status, contentType: meta.contentType, body });
        if (found === null) {
          // Not the public API (accounts, the media library, preview links): never a 2xx; the
          // admin's own scripts aside.
          if (status < 400 && !ADMIN_ASSETS.test(request.path)) problems.push(`${key}: ${status} from a path the document does not have`);
          continue;
        }
        if (found.length > 0) problems.push(`${key} → ${status}: ${found.join('; ')}\n  ${body.slice(0, 300)}`);
        else if (status >= 200 && status < 300) {
          const operation = `${request.method} ${contract.template(request.method, request.path)}`;
          validated.set(operation, (validated.get(operation) ?? 0) + 1);
          // The caching headers the document promises on every public 200.
          if (status === 200 && request.method === 'GET' && !request.path.startsWith('/_') && !request.path.startsWith('/api/docs') && (!meta.etag || !meta.surrogateKey)) problems.push(`${key}: a 200 without ETag or Surrogate-Key`);
        }
      }
      expect(problems.slice(0, 40)).toEqual([]);
      // Every documented read was answered with a validated 2xx (GraphQL over GET aside: asked by POST here).
      const documented = Object.entries(contract.document.paths as Record<string, Record<string, unknown>>).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
      expect(documented.filter((operation) => operation !== 'GET /graphql' && !validated.has(operation))).toEqual([]);
      expect(validated.size).toBeGreaterThan(20);
    });

    it('the schemas are not permissive: a real answer with headline dropped, a body item of another type, or data as a string fails', async () => {
      // Its own article: a paragraph and a credited figure in the body.
      const credit = creditIds[0];
      const created = (await app.strapi.documents(ARTICLE as never).create({
        locale: 'en',
        data: { headline: 'Schema check: harbor at night', body: [{ __component: 'content.paragraph', text: 'Lights on the water.' }, { __component: 'media.figure', caption: 'The harbor at night.', credit }] },
      } as never)) as { documentId: string };
      await app.strapi.documents(ARTICLE as never).publish({ documentId: created.documentId, locale: 'en' } as never);
      const list = JSON.parse(await (await fetch(`${app.baseUrl}/api/articles?filters[documentId][$eq]=${created.documentId}`)).text());
      const one = JSON.parse(await (await fetch(`${app.baseUrl}/api/articles/${created.documentId}`)).text());
      expect(list.data).toHaveLength(1);
      expect(contract.validates('get', '/api/articles', 200, list)).toBe(true);
      expect(contract.validates('get', '/api/articles/{id}', 200, one)).toBe(true);
      const broken = (answer: unknown, change: (copy: any) => void) => {
        const copy = structuredClone(answer);
        change(copy);
        return copy;
      };
      const paragraph = (one.data.body as Json[]).findIndex((b) => b.__component === 'content.paragraph');
      const figure = (one.data.body as Json[]).findIndex((b) => b.__component === 'media.figure');
      expect(paragraph).toBeGreaterThanOrEqual(0);
      expect(figure).toBeGreaterThanOrEqual(0);
      const cases: Array<[string, unknown, string]> = [
        ['headline dropped', broken(one, (c) => delete c.data.headline), '/api/articles/{id}'],
        ['headline dropped from a list item', broken(list, (c) => delete c.data[0].headline), '/api/articles'],
        ['a paragraph said to be a figure', broken(one, (c) => (c.data.body[paragraph].__component = 'media.figure')), '/api/articles/{id}'],
        ['a figure said to be a paragraph', broken(one, (c) => (c.data.body[figure].__component = 'content.paragraph')), '/api/articles/{id}'],
        ['a body item of an unknown type', broken(one, (c) => (c.data.body[paragraph].__component = 'content.quote')), '/api/articles/{id}'],
        ["a paragraph's text as a number", broken(one, (c) => (c.data.body[paragraph].text = 42)), '/api/articles/{id}'],
        ['data as a string', broken(one, (c) => (c.data = JSON.stringify(c.data))), '/api/articles/{id}'],
        ['list data as a string', broken(list, (c) => (c.data = JSON.stringify(c.data))), '/api/articles'],
        ['an attribute the model does not have', broken(one, (c) => (c.data.importSource = 'wire.txt')), '/api/articles/{id}'],
        ["a credit's name dropped", broken(one, (c) => delete c.data.credits[0].name), '/api/articles/{id}'],
        ['no meta', broken(list, (c) => delete c.meta), '/api/articles'],
      ];
      expect(cases.filter(([, body, template]) => contract.validates('get', template, 200, body)).map(([name]) => name)).toEqual([]);
    });
  });

  describe('what the public view relies on in Strapi (fails here, clearly, if an upgrade changes it)', () => {
    it("a relation filter's join into a draft-and-publish table carries published_at IS NOT NULL in its ON clause", async () => {
      const statements: string[] = [];
      const listen = (query: { sql: string }) => statements.push(query.sql);
      app.strapi.db.connection.on('query', listen);
      try {
        expect((await fetch(`${app.baseUrl}/api/articles?filters[localizations][headline][$eq]=nothing`)).status).toBe(200);
      } finally {
        app.strapi.db.connection.off('query', listen);
      }
      const joined = statements.find((sql) => /join "(?:public"\.")?articles" as "\w+"/.test(sql));
      if (!joined) throw new Error(`Strapi no longer joins the related table for a relation filter; statements:\n${statements.join('\n')}`);
      const alias = /join "(?:public"\.")?articles" as "(\w+)" on/.exec(joined)?.[1];
      expect(joined).toMatch(new RegExp(`join "(?:public"\\.")?articles" as "${alias}" on [^]*?"${alias}"\\."published_at" is not null`));
      expect(joined).toMatch(/"t0"\."published_at" is not null/);
    });
  });
});
