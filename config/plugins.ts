import { LOCALES } from '../src/bootstrap/locales';
import { readEnv } from '../src/env';
import { costPlugin } from '../src/graphql/cost';
import { maxFieldsRule } from '../src/graphql/limits';
import { readModelPlugin } from '../src/graphql/read-model';
import { servesFromReadModel } from '../src/read-model/serving';
import { uploadConfig } from '../src/photos/storage';

const DEFAULT_LIMIT = 25;
const MAX_LIMIT = 100;

export default () => {
  const env = readEnv();
  return {
  upload: { config: uploadConfig(env) },
  'users-permissions': {
    config: {
      jwtSecret: env.JWT_SECRET,
      register: { allowedFields: [] },
    },
  },
  graphql: {
    config: {
      endpoint: '/graphql',
      shadowCRUD: true,
      depthLimit: 10,
      defaultLimit: DEFAULT_LIMIT,
      maxLimit: MAX_LIMIT,
      playgroundAlways: false,
      landingPage: false,
      apolloServer: {
        introspection: true,
        // Appended to the plugin's own rules and plugins (its depth limit stays).
        validationRules: [maxFieldsRule(env.GRAPHQL_MAX_FIELDS)],
        // Cost (rows an operation can load) and drafts, checked with the variables before it runs.
        plugins: [
          costPlugin({
            maxCost: env.GRAPHQL_MAX_COST,
            defaultLimit: DEFAULT_LIMIT,
            maxLimit: MAX_LIMIT,
            localizationFanOut: LOCALES.length - 1,
            listEstimate: DEFAULT_LIMIT,
          }),
          // After the checks above: the article query answered from the read model.
          readModelPlugin({ enabled: servesFromReadModel, defaultLimit: DEFAULT_LIMIT }),
        ],
      },
    },
  },
};
};
