import { corsOrigins } from '../src/cache/policy';
import { readEnv } from '../src/env';
import { mediaOrigins } from '../src/photos/storage';

const env = readEnv();

export default [
  // Strapi's access log, with secrets in URLs (preview tokens) left out.
  'global::access-log',
  // Methods and URLs nothing can answer (TRACE, NUL bytes): refused before any work.
  'global::request-guard',
  'strapi::errors',
  // Inside the error handler: a database outage answers 503, not 500.
  'global::database-unavailable',
  {
    name: 'strapi::security',
    config: {
      contentSecurityPolicy: {
        useDefaults: true,
        directives: {
          'connect-src': ["'self'", 'https:'],
          // The admin previews media from S3-compatible storage when it is in use.
          'img-src': ["'self'", 'data:', 'blob:', ...mediaOrigins(env)],
          'media-src': ["'self'", 'data:', 'blob:', ...mediaOrigins(env)],
          upgradeInsecureRequests: null,
        },
      },
    },
  },
  {
    name: 'strapi::cors',
    config: {
      // CORS_ORIGINS (comma-separated); by default the service's own PUBLIC_URL origin.
      origin: corsOrigins(),
    },
  },
  'strapi::poweredBy',
  'strapi::query',
  {
    name: 'strapi::body',
    // The media library takes files up to UPLOAD_MAX_BYTES, as the importer does.
    config: { formidable: { maxFileSize: env.UPLOAD_MAX_BYTES } },
  },
  'strapi::session',
  'strapi::favicon',
  'strapi::public',
  // Last, so the headers of everything above (CORS, security) are in what it stores.
  'global::http-cache',
];
