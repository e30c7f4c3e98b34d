import { checkListQuery } from '../../../articles/query-rules';

/** The credit list takes the same checked list parameters as articles. */
export default () => {
  return async (ctx: { query: Record<string, unknown> }, next: () => Promise<void>) => {
    checkListQuery(ctx.query);
    await next();
  };
};
