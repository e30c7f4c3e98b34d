import { factories } from '@strapi/strapi';

// The same checked list parameters as articles (src/api/image-credit/middlewares/list-query.ts).
export default factories.createCoreRouter('api::section.section', {
  config: {
    find: { middlewares: ['api::image-credit.list-query'] },
    findOne: { middlewares: ['api::image-credit.list-query'] },
  },
});
