export default {
  routes: [
    { method: 'GET', path: '/articles/:id/jsonld', handler: 'api::article.article.jsonld', config: {} },
    { method: 'GET', path: '/articles/:id/ninjs', handler: 'api::article.article.ninjs', config: {} },
  ],
};
