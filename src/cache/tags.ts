/** Cache tags: which documents a response shows, so a change purges exactly what shows it. */
export const TAG_ARTICLE_LISTS = 'articles';
export const TAG_CREDIT_LISTS = 'credits';
export const documentTag = (documentId: string) => `doc:${documentId}`;

/**
 * Walks a JSON response and collects a tag per document it contains (anything with a
 * `documentId`), plus the list tags for list endpoints.
 */
export function tagsOf(body: unknown, path: string): string[] {
  const tags = new Set<string>();
  const walk = (value: unknown, depth: number) => {
    if (depth > 12 || value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      for (const item of value) walk(item, depth + 1);
      return;
    }
    const record = value as Record<string, unknown>;
    if (typeof record.documentId === 'string') tags.add(documentTag(record.documentId));
    for (const child of Object.values(record)) walk(child, depth + 1);
  };
  walk(body, 0);
  // Lists, searches and GraphQL can gain a document that is not in them yet.
  if (/^\/api\/articles\/?($|\?)/.test(path) || path.startsWith('/graphql') || path.startsWith('/news')) {
    tags.add(TAG_ARTICLE_LISTS);
  }
  if (/^\/api\/image-credits\/?($|\?)/.test(path) || path.startsWith('/graphql')) tags.add(TAG_CREDIT_LISTS);
  return [...tags];
}
