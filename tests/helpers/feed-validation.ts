import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { validateXML } from 'xmllint-wasm';

/**
 * Feeds and sitemaps checked as their validators check them, offline: sitemaps against the
 * sitemaps.org and Google News schemas (XSD), Atom against RFC 4287's RELAX NG schema and its two
 * Schematron rules, RSS 2.0 against its specification's rules as the W3C Feed Validation Service
 * applies them (RSS has no official schema). Each returns the problems found: [] is valid.
 */
const SCHEMAS = join(__dirname, '..', 'fixtures', 'schemas');
const schemaFile = (fileName: string) => ({ fileName, contents: readFileSync(join(SCHEMAS, fileName), 'utf8') });

async function xmllint(xml: string, schema: string, extension: 'schema' | 'relaxng', preload: string[] = []): Promise<string[]> {
  const result = await validateXML({ xml: { fileName: 'document.xml', contents: xml }, schema: schemaFile(schema), preload: preload.map(schemaFile), extension });
  return result.valid ? [] : result.errors.map((e) => e.rawMessage);
}

export type SitemapKind = 'urlset' | 'sitemapindex' | 'news';

export function sitemapProblems(xml: string, kind: SitemapKind): Promise<string[]> {
  if (kind === 'news') return xmllint(xml, 'urlset-news.xsd', 'schema', ['sitemap.xsd', 'sitemap-news.xsd']);
  return xmllint(xml, kind === 'urlset' ? 'sitemap.xsd' : 'siteindex.xsd', 'schema');
}

type Node = Record<string, unknown>;
const ordered = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', preserveOrder: true, trimValues: true });
const ATTRS = ':@';

function nameOf(node: Node): string | undefined {
  return Object.keys(node).find((key) => key !== ATTRS && key !== '#text');
}
function childrenOf(node: Node): Node[] {
  const name = nameOf(node);
  return name ? ((node[name] as Node[]) ?? []) : [];
}
function attrsOf(node: Node): Record<string, string> {
  return (node[ATTRS] as Record<string, string>) ?? {};
}
function textOf(node: Node): string {
  return childrenOf(node)
    .map((child) => (child['#text'] !== undefined ? String(child['#text']) : child.__cdata ? textOf(child) : ''))
    .join('');
}
function elements(nodes: Node[]): Node[] {
  return nodes.filter((node) => nameOf(node) !== undefined && nameOf(node) !== '?xml' && nameOf(node) !== '__cdata');
}

/** Every prefixed element and attribute has its namespace declared on itself or an ancestor. */
function undeclaredPrefixes(nodes: Node[], declared: Set<string>, path: string, problems: string[]): void {
  for (const node of elements(nodes)) {
    const name = nameOf(node)!;
    const attrs = attrsOf(node);
    const scope = new Set(declared);
    for (const attr of Object.keys(attrs)) if (attr.startsWith('@xmlns:')) scope.add(attr.slice('@xmlns:'.length));
    const prefixes = [name, ...Object.keys(attrs).map((a) => a.slice(1)).filter((a) => !a.startsWith('xmlns'))]
      .filter((n) => n.includes(':'))
      .map((n) => n.split(':')[0])
      .filter((prefix) => prefix !== 'xml');
    for (const prefix of prefixes) if (!scope.has(prefix)) problems.push(`${path}/${name}: namespace prefix "${prefix}" is not declared`);
    undeclaredPrefixes(childrenOf(node), scope, `${path}/${name}`, problems);
  }
}

const RFC822 = /^(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}(?::\d{2})? (?:UT|GMT|EST|EDT|CST|CDT|MST|MDT|PST|PDT|Z|[+-]\d{4})$/;
const EMAIL = /^[^@\s()]+@[^@\s()]+\.[^@\s()]+(?: \(.+\))?$/;
const LANGUAGE = /^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$/;
const absoluteUrl = (value: string) => {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
};

const CHANNEL_ELEMENTS = new Set(['title', 'link', 'description', 'language', 'copyright', 'managingEditor', 'webMaster', 'pubDate', 'lastBuildDate', 'category', 'generator', 'docs', 'cloud', 'ttl', 'image', 'rating', 'textInput', 'skipHours', 'skipDays', 'item']);
const ITEM_ELEMENTS = new Set(['title', 'link', 'description', 'author', 'category', 'comments', 'enclosure', 'guid', 'pubDate', 'source']);

/** RSS 2.0 (https://www.rssboard.org/rss-specification), as the W3C Feed Validation Service reads it. */
export function rssProblems(xml: string): string[] {
  const problems: string[] = [];
  const tree = elements(ordered.parse(xml) as Node[]);
  undeclaredPrefixes(tree, new Set(), '', problems);
  const rss = tree.find((node) => nameOf(node) === 'rss');
  if (!rss) return ['the root element is not <rss>'];
  if (attrsOf(rss)['@version'] !== '2.0') problems.push('<rss> must have version="2.0"');
  const channels = elements(childrenOf(rss)).filter((node) => nameOf(node) === 'channel');
  if (channels.length !== 1) return [...problems, `<rss> must have one <channel>, not ${channels.length}`];
  const checkFields = (where: string, fields: Node[], allowed: Set<string>) => {
    for (const field of fields) {
      const name = nameOf(field)!;
      const text = textOf(field).trim();
      if (!name.includes(':') && !allowed.has(name)) problems.push(`${where}: undefined element <${name}>`);
      if ((name === 'pubDate' || name === 'lastBuildDate') && !RFC822.test(text)) problems.push(`${where}/${name}: not an RFC 822 date: "${text}"`);
      if (['author', 'managingEditor', 'webMaster'].includes(name) && !EMAIL.test(text)) problems.push(`${where}/${name}: must be an e-mail address, not "${text}"`);
      if ((name === 'link' || name === 'docs' || name === 'comments') && !absoluteUrl(text)) problems.push(`${where}/${name}: not a full URL: "${text}"`);
      if (name === 'language' && !LANGUAGE.test(text)) problems.push(`${where}/language: not a language code: "${text}"`);
      if (name === 'guid' && attrsOf(field)['@isPermaLink'] !== 'false' && !absoluteUrl(text)) problems.push(`${where}/guid: a permalink guid must be a full URL: "${text}"`);
      if (name === 'atom:link' && attrsOf(field)['@href'] !== undefined && !absoluteUrl(attrsOf(field)['@href'])) problems.push(`${where}/atom:link: href is not a full URL`);
      if (name === 'dc:creator' && /^by\s/i.test(text)) problems.push(`${where}/dc:creator: a name, not a byline: "${text}"`);
    }
  };
  const channel = elements(childrenOf(channels[0]));
  const named = (nodes: Node[], name: string) => nodes.filter((node) => nameOf(node) === name);
  for (const required of ['title', 'link', 'description']) {
    if (named(channel, required).length !== 1) problems.push(`<channel> must have one <${required}>`);
  }
  if (!channel.some((node) => nameOf(node) === 'atom:link' && attrsOf(node)['@rel'] === 'self')) problems.push('<channel> has no atom:link rel="self"');
  checkFields('channel', channel.filter((node) => nameOf(node) !== 'item'), CHANNEL_ELEMENTS);
  named(channel, 'item').forEach((item, index) => {
    const fields = elements(childrenOf(item));
    const where = `item[${index + 1}]`;
    if (named(fields, 'title').length === 0 && named(fields, 'description').length === 0) problems.push(`${where}: needs a <title> or a <description>`);
    for (const single of ['title', 'link', 'description', 'author', 'guid', 'pubDate', 'source']) {
      if (named(fields, single).length > 1) problems.push(`${where}: more than one <${single}>`);
    }
    if (named(fields, 'author').length > 0 && named(fields, 'dc:creator').length > 0) problems.push(`${where}: both <author> and <dc:creator>`);
    checkFields(where, fields, ITEM_ELEMENTS);
  });
  return problems;
}

/** Atom 1.0: RFC 4287's RELAX NG schema, then its two Schematron rules. */
export async function atomProblems(xml: string): Promise<string[]> {
  const problems = await xmllint(xml, 'atom.rng', 'relaxng');
  const tree = elements(ordered.parse(xml) as Node[]);
  const feed = tree.find((node) => nameOf(node) === 'feed');
  if (!feed) return [...problems, 'the root element is not <feed>'];
  const children = elements(childrenOf(feed));
  const feedHasAuthor = children.some((node) => nameOf(node) === 'author');
  children
    .filter((node) => nameOf(node) === 'entry')
    .forEach((entry, index) => {
      const fields = elements(childrenOf(entry));
      if (!feedHasAuthor && !fields.some((node) => nameOf(node) === 'author')) problems.push(`entry[${index + 1}]: an atom:entry must have an atom:author if its feed does not`);
      const links = fields.filter((node) => nameOf(node) === 'link');
      if (!links.some((l) => (attrsOf(l)['@rel'] ?? 'alternate') === 'alternate') && !fields.some((node) => nameOf(node) === 'content')) {
        problems.push(`entry[${index + 1}]: an atom:entry must have a link rel="alternate" or content`);
      }
      for (const author of fields.filter((node) => nameOf(node) === 'author')) {
        const name = elements(childrenOf(author)).find((node) => nameOf(node) === 'name');
        if (name && /^by\s/i.test(textOf(name).trim())) problems.push(`entry[${index + 1}]/author: a name, not a byline: "${textOf(name)}"`);
      }
    });
  return problems;
}
