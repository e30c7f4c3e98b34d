import { databaseConnection, readEnv } from '../src/env';

export default () => {
  const env = readEnv();
  // The launcher (scripts/cli.js) sets DATABASE_URL to its embedded PostgreSQL when none is
  // configured. `strapi build` loads this file without a database; a plain `strapi start` without
  // one is pointed at the conventional local server.
  const connection = databaseConnection(env) ?? {
    host: '127.0.0.1',
    port: 5432,
    database: 'news',
    user: 'postgres',
    password: '',
    ssl: false,
    schema: 'public',
  };
  return {
    connection: {
      client: 'postgres',
      connection: {
        host: connection.host,
        port: connection.port,
        database: connection.database,
        user: connection.user,
        password: connection.password,
        ssl: connection.ssl,
        schema: connection.schema,
        application_name: `news:${process.pid}`,
      },
      pool: { min: env.DATABASE_POOL_MIN ?? 0, max: env.DATABASE_POOL_MAX ?? 10 },
      // Short: while the database is down, requests answer 503 quickly instead of hanging.
      acquireConnectionTimeout: env.DATABASE_ACQUIRE_TIMEOUT ?? 3000,
    },
  };
};
