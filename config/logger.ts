import { formats, winston } from '@strapi/logger';
import { LOG_LEVELS, readEnv } from '../src/env';

// LOG_LEVEL (error, warn, info, http, …; default http). Logs go to stderr so that command output
// on stdout (an import's summary, a dry run's JSON) stays clean.
export default {
  level: readEnv().LOG_LEVEL,
  format: formats.prettyPrint(),
  transports: [new winston.transports.Console({ stderrLevels: [...LOG_LEVELS] })],
};
