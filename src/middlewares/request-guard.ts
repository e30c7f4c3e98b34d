/**
 * Refuses, before any work, requests no handler can answer well: methods the service does not
 * speak (TRACE answered 501 from the router), and NUL characters anywhere in the URL (PostgreSQL
 * text cannot hold U+0000: it surfaced as a 500 from the database).
 */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

function hasNul(url: string): boolean {
  if (url.includes('\u0000') || /%00/i.test(url)) return true;
  try {
    return decodeURIComponent(url).includes('\u0000');
  } catch {
    return false;
  }
}

export default () => {
  return async (
    ctx: { method: string; url: string; status: number; body: unknown; set(name: string, value: string): void },
    next: () => Promise<void>
  ) => {
    if (!METHODS.has(ctx.method)) {
      ctx.status = 405;
      ctx.set('Allow', [...METHODS].join(', '));
      ctx.body = { data: null, error: { status: 405, name: 'MethodNotAllowedError', message: `Method ${ctx.method} is not allowed`, details: {} } };
      return;
    }
    if (hasNul(ctx.url)) {
      ctx.status = 400;
      ctx.body = { data: null, error: { status: 400, name: 'ValidationError', message: 'The URL contains a NUL character', details: {} } };
      return;
    }
    await next();
  };
};
