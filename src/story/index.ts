export * from './schema';
export { parseStory, parseStoryBytes, formatStoryError, type ParseResult, type StoryError } from './parse';
export { slugify, withClashSuffix, SLUG_MAX_LENGTH } from './slug';
