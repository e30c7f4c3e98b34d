export * from './schema';
export { parseStory, parseStoryBytes, formatStoryError, nameCase, type ParseResult, type StoryError } from './parse';
export { slugify, withClashSuffix, SLUG_MAX_LENGTH } from './slug';
