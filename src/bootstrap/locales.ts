import type { Core } from '@strapi/strapi';
import { z } from 'zod';

export const LOCALES = [
  { code: 'en', name: 'English (en)' },
  { code: 'zh-Hans', name: 'Chinese (Simplified) (zh-Hans)' },
  { code: 'ru', name: 'Russian (ru)' },
] as const;

export const DEFAULT_LOCALE = 'en';

/** Creates the newsroom's locales once; re-running finds them and changes nothing. */
export async function ensureLocales(strapi: Core.Strapi): Promise<void> {
  const locales = strapi.plugin('i18n').service('locales');
  for (const locale of LOCALES) {
    const existing = await locales.findByCode(locale.code);
    if (!existing) await locales.create({ code: locale.code, name: locale.name });
  }
  if ((await locales.getDefaultLocale()) !== DEFAULT_LOCALE) {
    await locales.setDefaultLocale({ code: DEFAULT_LOCALE });
  }
}

/** A locale code the newsroom publishes in, for every edge that takes one (CLI, query strings). */
export const LocaleCode = z.enum(LOCALES.map((l) => l.code) as [string, ...string[]], {
  errorMap: () => ({ message: `locale must be one of ${LOCALES.map((l) => l.code).join(', ')}` }),
});
