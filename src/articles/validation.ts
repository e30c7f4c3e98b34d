import { errors } from '@strapi/utils';
import { CAPTION_MAX_LENGTH, codePointLength, HEADLINE_MAX_CODE_POINTS } from '../story';

type Issue = { path: string[]; message: string; name: 'ValidationError' };

/**
 * The article's field rules on every save, drafts included (Strapi relaxes `required` for
 * drafts, and counts UTF-16 units where the newsroom counts characters): a headline of 1–300
 * characters, captions of at most 1,000. The error names the field, as the admin shows it.
 */
export function validateArticleInput(data: Record<string, unknown>, isCreate: boolean): void {
  const issues: Issue[] = [];
  if ('headline' in data || isCreate) {
    const headline = data.headline;
    if (typeof headline !== 'string' || headline.trim() === '') {
      issues.push({ path: ['headline'], message: 'headline must not be empty', name: 'ValidationError' });
    } else if (codePointLength(headline) > HEADLINE_MAX_CODE_POINTS) {
      issues.push({
        path: ['headline'],
        message: `headline must be at most ${HEADLINE_MAX_CODE_POINTS} characters (it has ${codePointLength(headline)})`,
        name: 'ValidationError',
      });
    }
  }
  const checkCaption = (figure: unknown, path: string[]) => {
    const caption = (figure as { caption?: unknown } | null)?.caption;
    if (typeof caption === 'string' && codePointLength(caption) > CAPTION_MAX_LENGTH) {
      issues.push({
        path: [...path, 'caption'],
        message: `caption must be at most ${CAPTION_MAX_LENGTH} characters (it has ${codePointLength(caption)})`,
        name: 'ValidationError',
      });
    }
  };
  if (data.lead && typeof data.lead === 'object') checkCaption(data.lead, ['lead']);
  if (Array.isArray(data.body)) data.body.forEach((block, i) => checkCaption(block, ['body', String(i)]));
  if (issues.length > 0) {
    throw new errors.ValidationError(issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '), { errors: issues });
  }
}
