export default [
  'strapi::logger',
  'strapi::errors',
  // Inside the error handler: a database outage answers 503, not 500.
  'global::database-unavailable',
  'strapi::security',
  'strapi::cors',
  'strapi::poweredBy',
  'strapi::query',
  'strapi::body',
  'strapi::session',
  'strapi::favicon',
  'strapi::public',
  // Last, so the headers of everything above (CORS, security) are in what it stores.
  'global::http-cache',
];
