import { factories } from '@strapi/strapi';

export default factories.createCoreService('api::image-credit.image-credit');
