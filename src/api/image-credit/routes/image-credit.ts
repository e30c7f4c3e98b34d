import { factories } from '@strapi/strapi';

export default factories.createCoreRouter('api::image-credit.image-credit', {
  config: {
    find: { middlewares: ['api::image-credit.list-query'] },
    findOne: { middlewares: ['api::image-credit.list-query'] },
  },
});
