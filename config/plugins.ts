import type { Core } from '@strapi/strapi';
import { maxFieldsRule } from '../src/graphql/limits';

export default ({ env }: Core.Config.Shared.ConfigParams) => ({
  'users-permissions': {
    config: {
      jwtSecret: env('JWT_SECRET'),
      register: { allowedFields: [] },
    },
  },
  graphql: {
    config: {
      endpoint: '/graphql',
      shadowCRUD: true,
      depthLimit: 10,
      defaultLimit: 25,
      maxLimit: 100,
      playgroundAlways: false,
      landingPage: false,
      apolloServer: {
        introspection: true,
        // Appended to the plugin's own rules (its depth limit stays).
        validationRules: [maxFieldsRule(env.int('GRAPHQL_MAX_FIELDS', 500))],
      },
    },
  },
});
