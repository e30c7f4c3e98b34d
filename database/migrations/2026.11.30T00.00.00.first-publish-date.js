'use strict';

/**
 * The first publication date moves from `firstPublishedAt` (a name Strapi 5.54 reserves: it nulls
 * it in the data of every write) to `firstPublishDate`, keeping every value. Strapi runs this
 * before its schema sync, which then drops the old column.
 */
module.exports = {
  async up(knex) {
    if (!(await knex.schema.hasTable('articles'))) return; // a fresh database: nothing to keep
    if (!(await knex.schema.hasColumn('articles', 'first_published_at'))) return;
    if (!(await knex.schema.hasColumn('articles', 'first_publish_date'))) {
      await knex.schema.alterTable('articles', (table) => table.datetime('first_publish_date', { precision: 6 }));
    }
    await knex('articles').whereNull('first_publish_date').update({ first_publish_date: knex.ref('first_published_at') });
  },
};
