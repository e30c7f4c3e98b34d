/**
 * Search follows the permission the article list follows: a caller who may not list articles
 * (the Public role without `find`) gets the same 403 here.
 */
export default {
  routes: [{ method: 'GET', path: '/search', handler: 'api::article.article.search', config: { auth: { scope: ['api::article.article.find'] } } }],
};
