import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Context } from 'koa';
import type { Core } from '@strapi/strapi';
import { publicUrl, readEnv } from '../env';
import { buildPublicApiDocument, type OpenApiDocument } from './document';

/**
 * GET /api/openapi.json: the public API's OpenAPI document, built once from the running app
 * (src/openapi/document.ts) and cached like every public answer (ETag, Surrogate-Key).
 * GET /api/docs: the same document as a page, rendered by Swagger UI from the service's own
 * copy of swagger-ui-dist (no CDN; the page's scripts come from here, under its CSP).
 */
const SWAGGER_FILES: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'application/javascript; charset=utf-8',
};

const INIT_SCRIPT = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: document.querySelector('meta[name="openapi-url"]').content,
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: 'BaseLayout',
  });
});
`;

function docsPage(prefix: string, version: string): string {
  const asset = (name: string) => `${prefix}/docs/${name}?v=${encodeURIComponent(version)}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="openapi-url" content="${prefix}/openapi.json">
<title>News service: public API</title>
<link rel="stylesheet" href="${asset('swagger-ui.css')}">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${asset('swagger-ui-bundle.js')}"></script>
<script src="${asset('swagger-ui-standalone-preset.js')}"></script>
<script src="${asset('init.js')}"></script>
</body>
</html>
`;
}

/** The version of the API: the service's package version. */
function serviceVersion(strapi: Core.Strapi): string {
  return String((strapi.config.get('info', {}) as { version?: string }).version ?? '0.0.0');
}

let built: { document: OpenApiDocument; json: string } | undefined;

/** The document of this process's app (built on first use: every route is registered by then). */
export function publicApiDocument(strapi: Core.Strapi): OpenApiDocument {
  built ??= (() => {
    const document = buildPublicApiDocument(strapi, { serverUrl: publicUrl(readEnv()), version: serviceVersion(strapi) });
    return { document, json: JSON.stringify(document) };
  })();
  return built.document;
}

export function registerOpenApiRoutes(strapi: Core.Strapi): void {
  const prefix = (strapi.config.get('api.rest.prefix', '/api') as string) || '/api';
  const swaggerDir = path.dirname(require.resolve('swagger-ui-dist/package.json'));
  const swaggerVersion = (JSON.parse(readFileSync(path.join(swaggerDir, 'package.json'), 'utf8')) as { version: string }).version;
  const assets = new Map<string, Buffer>();
  strapi.server.routes([
    {
      method: 'GET',
      path: `${prefix}/openapi.json`,
      handler: (ctx: Context) => {
        publicApiDocument(strapi);
        ctx.type = 'application/json';
        ctx.body = (built as { json: string }).json;
      },
      config: { auth: false },
    },
    {
      method: 'GET',
      path: `${prefix}/docs`,
      handler: (ctx: Context) => {
        ctx.type = 'text/html; charset=utf-8';
        ctx.set('Cache-Control', 'public, max-age=300');
        ctx.body = docsPage(prefix, swaggerVersion);
      },
      config: { auth: false },
    },
    {
      method: 'GET',
      path: `${prefix}/docs/:file`,
      handler: async (ctx: Context) => {
        const file = String(ctx.params.file);
        if (file !== 'init.js' && !(file in SWAGGER_FILES)) {
          ctx.status = 404;
          ctx.body = { data: null, error: { status: 404, name: 'NotFoundError', message: 'Not Found', details: {} } };
          return;
        }
        let body = assets.get(file);
        if (!body) {
          body = file === 'init.js' ? Buffer.from(INIT_SCRIPT) : await readFile(path.join(swaggerDir, file));
          assets.set(file, body);
        }
        ctx.type = file === 'init.js' ? 'application/javascript; charset=utf-8' : SWAGGER_FILES[file];
        // Named by the renderer's version in the page's links: a new version is a new URL.
        ctx.set('Cache-Control', 'public, max-age=86400');
        ctx.body = body;
      },
      config: { auth: false },
    },
  ]);
}
