import { corsOrigins } from '../src/cache/policy';

export default [
  // Strapi's access log, with secrets in URLs (preview tokens) left out.
  'global::access-log',
  // Methods and URLs nothing can answer (TRACE, NUL bytes): refused before any work.
  'global::request-guard',
  'strapi::errors',
  // Inside the error handler: a database outage answers 503, not 500.
  'global::database-unavailable',
  'strapi::security',
  {
    name: 'strapi::cors',
    config: {
      // CORS_ORIGINS (comma-separated); by default the service's own PUBLIC_URL origin.
      origin: corsOrigins(),
    },
  },
  'strapi::poweredBy',
  'strapi::query',
  'strapi::body',
  'strapi::session',
  'strapi::favicon',
  'strapi::public',
  // Last, so the headers of everything above (CORS, security) are in what it stores.
  'global::http-cache',
];
