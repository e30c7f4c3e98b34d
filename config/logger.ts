import { formats, winston } from '@strapi/logger';

// LOG_LEVEL (error, warn, info, http, …; default http). Logs go to stderr so that command output
// on stdout (an import's summary, a dry run's JSON) stays clean.
const LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'];

export default {
  level: process.env.LOG_LEVEL && LEVELS.includes(process.env.LOG_LEVEL) ? process.env.LOG_LEVEL : 'http',
  format: formats.prettyPrint(),
  transports: [new winston.transports.Console({ stderrLevels: LEVELS })],
};
