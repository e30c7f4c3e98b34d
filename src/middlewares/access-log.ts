import type { Core } from '@strapi/strapi';

// Query parameters whose values are credentials: a preview link's token, anything like it.
const SECRET_PARAMS = /([?&](?:token|secret|access_token|code|password)=)[^&#]*/gi;

/** A request's URL as the access log writes it: credentials in the query string replaced. */
export function loggableUrl(url: string): string {
  return url.replace(SECRET_PARAMS, '$1[redacted]');
}

/**
 * The access log (Strapi's own `strapi::logger`, one line per request at the `http` level), with
 * the secrets a URL can carry left out: a preview link must not outlive its expiry in a log file.
 */
export default (_config: unknown, { strapi }: { strapi: Core.Strapi }) => {
  return async (ctx: { method: string; url: string; status: number }, next: () => Promise<void>) => {
    const start = Date.now();
    try {
      await next();
    } finally {
      strapi.log.http(`${ctx.method} ${loggableUrl(ctx.url)} (${Math.ceil(Date.now() - start)} ms) ${ctx.status}`);
    }
  };
};
