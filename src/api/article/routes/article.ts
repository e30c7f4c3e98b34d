import { factories } from '@strapi/strapi';

export default factories.createCoreRouter('api::article.article', {
  config: {
    find: { middlewares: [{ name: 'api::article.public-read', config: { list: true } }] },
    findOne: { middlewares: ['api::article.public-read'] },
  },
});
