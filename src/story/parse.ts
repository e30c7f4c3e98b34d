import { createHash } from 'node:crypto';
import { basename, extname } from 'node:path';
import type { ZodIssue } from 'zod';

import {
  CAPTION_MAX_LENGTH,
  CREDIT_MAX_LENGTH,
  HEADLINE_MAX_CODE_POINTS,
  StorySchema,
  codePointLength,
  type BodyBlock,
  type Figure,
  type Story,
} from './schema';

/** A problem with one wire file, worded for the person who has to fix the file. */
export type StoryError = { file: string; line?: number; message: string };

export type ParseResult = { ok: true; story: Story } | { ok: false; error: StoryError };

/** `stories/x.txt:3: headline is longer than 300 characters (312)` or `stories/x.txt: file is empty`. */
export function formatStoryError(error: StoryError): string {
  const where = error.line === undefined ? error.file : `${error.file}:${error.line}`;
  return `${where}: ${error.message}`;
}

/** A run of non-blank lines, with the 1-based line number of its first line. */
interface RawBlock {
  lines: string[];
  line: number;
  blankLinesBefore: number;
}

type Block =
  | { type: 'paragraph'; text: string; line: number }
  | { type: 'figure'; caption: string; credit: string; line: number };

const BYTE_ORDER_MARK = '\uFEFF';
// C0 controls other than tab, line feed and carriage return never occur in wire text.
const CONTROL_CHARACTER = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/;
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?:^|[^\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// Chinese, Japanese and Korean letters, with the marks written inside words (ー, 々, 〆, ・), which
// Unicode files under no script (ー in コーヒー, ・ in ニューヨーク・タイムズ).
const CJK_LETTERS = '\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}\\p{Script=Hangul}\\u30FC\\u30FB\\u3005\\u3006';
// What ends a word or clause in CJK copy, where English puts a space: a letter, or full-width
// punctuation that closes (。，、！？：；and closing brackets and quotes). An opening bracket or
// quote does not (`「Credit: 一个词」` is prose, as `(Credit: card)` is in English).
const CJK_BEFORE_CREDIT = `${CJK_LETTERS}、。〃〉》」』】〕〗〙〛〞〟！＂＇），．：；？］｝｠｡｣､`;
// "Credit:" at the start of the line, after whitespace, or straight after CJK text or closing
// punctuation (`哈尔滨。Credit: 美联社`), case-sensitive; a full-width colon too (only CJK input
// methods type it). The rest of the line is the credit.
const CREDIT_MARKER = new RegExp(`(?:^|\\s|(?<=[${CJK_BEFORE_CREDIT}]))Credit[:：]`, 'gu');
const HAS_CREDIT_MARKER = new RegExp(CREDIT_MARKER.source, 'u');

/**
 * Decodes a wire file's bytes (strict UTF-8) and parses it.
 * Bad bytes are reported as errors, never thrown.
 */
export function parseStoryBytes(bytes: Buffer | Uint8Array, fileName: string): ParseResult {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const offset = firstInvalidUtf8Offset(bytes);
    if (offset < 0) {
      return failure(fileName, 'file is not valid UTF-8 text');
    }
    const byte = bytes[offset].toString(16).padStart(2, '0');
    return failure(
      fileName,
      `file is not valid UTF-8 text (invalid byte 0x${byte} at byte offset ${offset})`,
      lineOfByteOffset(bytes, offset),
    );
  }
  return parseStory(text, fileName);
}

/** Parses one wire story. Bad input gives `{ ok: false, error }`; this function does not throw. */
export function parseStory(text: string, fileName: string): ParseResult {
  const lines = normaliseLines(text);

  const problem = findForbiddenCharacter(lines);
  if (problem) {
    return failure(fileName, problem.message, problem.line);
  }

  const headlineIndex = lines.findIndex((line) => !isBlank(line));
  if (headlineIndex < 0) {
    return failure(fileName, 'file is empty');
  }
  const headline = lines[headlineIndex].trim();
  const headlineLine = headlineIndex + 1;
  const headlineLength = codePointLength(headline);
  if (headlineLength > HEADLINE_MAX_CODE_POINTS) {
    return failure(
      fileName,
      `headline is longer than ${HEADLINE_MAX_CODE_POINTS} characters (${headlineLength})`,
      headlineLine,
    );
  }

  const allBlocks = dropFooter(splitBlocks(lines, headlineIndex + 1));
  // An optional byline: the block right after the headline, one line starting `By `.
  const byline = allBlocks.length > 0 ? parseByline(allBlocks[0]) : null;
  const rawBlocks = byline ? allBlocks.slice(1) : allBlocks;
  const blocks = rawBlocks.map(classifyBlock);

  for (const block of blocks) {
    if (block.type === 'figure' && block.caption.length > CAPTION_MAX_LENGTH) {
      return failure(
        fileName,
        `photo caption is longer than ${CAPTION_MAX_LENGTH} characters (${block.caption.length})`,
        block.line,
      );
    }
  }

  const firstParagraph = blocks.findIndex((block) => block.type === 'paragraph');
  if (firstParagraph < 0) {
    return failure(fileName, 'story has no body paragraph');
  }

  // An optional dateline opens the first paragraph: `PLACE[, Region] [(AGENCY)] — text`.
  let dateline: string | null = null;
  const opening = blocks[firstParagraph];
  if (opening.type === 'paragraph') {
    const found = parseDateline(opening.text);
    if (found) {
      dateline = found.dateline;
      blocks[firstParagraph] = { ...opening, text: found.rest };
    }
  }

  // The first photo before the first paragraph is the lead; any others stay in the body, in order.
  const leadBlock = blocks[0].type === 'figure' ? blocks[0] : null;
  const bodyBlocks = leadBlock ? blocks.slice(1) : blocks;

  const lead: Figure | null = leadBlock ? { caption: leadBlock.caption, credit: leadBlock.credit } : null;
  const body: BodyBlock[] = bodyBlocks.map((block) =>
    block.type === 'paragraph'
      ? { type: 'paragraph', text: block.text }
      : { type: 'figure', caption: block.caption, credit: block.credit },
  );

  const authors = byline ?? [];
  const candidate = {
    source: basename(fileName, extname(fileName)),
    headline,
    lead,
    body,
    authors,
    dateline,
    contentHash: hashContent(headline, lead, body, authors, dateline),
  };

  const parsed = StorySchema.safeParse(candidate);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const line = lineForIssue(issue, headlineLine, leadBlock?.line, bodyBlocks.map((block) => block.line));
    return failure(fileName, describeIssue(issue), line);
  }
  return { ok: true, story: parsed.data };
}

/** BOM removed, CRLF and lone CR turned into LF, trailing spaces and tabs removed from every line. */
function normaliseLines(text: string): string[] {
  const withoutBom = text.startsWith(BYTE_ORDER_MARK) ? text.slice(BYTE_ORDER_MARK.length) : text;
  return withoutBom
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.replace(/[ \t]+$/, ''));
}

function isBlank(line: string): boolean {
  return line.trim() === '';
}

function findForbiddenCharacter(lines: string[]): { line: number; message: string } | null {
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index];
    const control = CONTROL_CHARACTER.exec(line);
    if (control) {
      const message =
        control[0] === '\u0000'
          ? 'file looks binary: it contains a NUL byte'
          : `file looks binary: it contains the control character U+${control[0]
              .charCodeAt(0)
              .toString(16)
              .toUpperCase()
              .padStart(4, '0')}`;
      return { line: index + 1, message };
    }
    if (UNPAIRED_SURROGATE.test(line)) {
      return { line: index + 1, message: 'text contains an unpaired UTF-16 surrogate' };
    }
  }
  return null;
}

/**
 * Blocks from `start` on. Lines that follow the headline without a blank line
 * form the first block, as the headline is only ever one line.
 */
function splitBlocks(lines: string[], start: number): RawBlock[] {
  const blocks: RawBlock[] = [];
  let current: RawBlock | null = null;
  let blankLines = 0;
  for (let index = start; index < lines.length; index += 1) {
    const line = lines[index];
    if (isBlank(line)) {
      if (current) {
        blocks.push(current);
        current = null;
      }
      blankLines += 1;
      continue;
    }
    if (!current) {
      current = { lines: [], line: index + 1, blankLinesBefore: blankLines };
      blankLines = 0;
    }
    current.lines.push(line);
  }
  if (current) {
    blocks.push(current);
  }
  return blocks;
}

/**
 * Everything after the last run of two or more blank lines is a promotional footer,
 * but only when a body paragraph comes before that run: two blank lines straight
 * after the headline (or after the lead photo) separate nothing from the story.
 */
function dropFooter(blocks: RawBlock[]): RawBlock[] {
  let separator = -1;
  for (let index = blocks.length - 1; index > 0; index -= 1) {
    if (blocks[index].blankLinesBefore >= 2) {
      separator = index;
      break;
    }
  }
  if (separator < 0) {
    return blocks;
  }
  const kept = blocks.slice(0, separator);
  return kept.some((block) => classifyBlock(block).type === 'paragraph') ? kept : blocks;
}

/**
 * A block whose last line ends in `Credit: <credit>` is a photo; anything else is a paragraph.
 * Wrapped lines are joined with a single space.
 */
function classifyBlock(block: RawBlock): Block {
  const lastLine = block.lines[block.lines.length - 1];
  let markerStart = -1;
  let markerEnd = -1;
  for (const match of lastLine.matchAll(CREDIT_MARKER)) {
    markerEnd = (match.index ?? 0) + match[0].length;
    markerStart = markerEnd - 'Credit:'.length; // either colon is one UTF-16 unit
  }
  if (markerStart >= 0) {
    const credit = lastLine.slice(markerEnd).trim();
    // A "credit" that is empty or longer than any real credit line is prose that happens to say "Credit:".
    if (credit !== '' && credit.length <= CREDIT_MAX_LENGTH && !/Credit[:：]/.test(credit)) {
      const captionLines = [...block.lines.slice(0, -1), lastLine.slice(0, markerStart)];
      return { type: 'figure', caption: captionLines.join(' ').trim(), credit, line: block.line };
    }
  }
  return { type: 'paragraph', text: block.lines.join(' ').trim(), line: block.line };
}

/**
 * sha256 over the article's text only, so whitespace, CRLF or BOM noise does not change it.
 * Byline and dateline count only when present: a story without them hashes as it always did.
 */
function hashContent(headline: string, lead: Figure | null, body: BodyBlock[], authors: string[], dateline: string | null): string {
  const content = { headline, lead, body, ...(authors.length > 0 ? { authors } : {}), ...(dateline ? { dateline } : {}) };
  return createHash('sha256').update(JSON.stringify(content), 'utf8').digest('hex');
}

const BYLINE = /^by\s+(\S.*)$/i;
// Names are separated by commas, " and " and "&".
const NAME_SEPARATOR = /\s*,\s*|\s+and\s+|\s*&\s*/i;

/** `By DAKE KANG and EMILY WANG FUJIYAMA` → ["Dake Kang", "Emily Wang Fujiyama"]; null if not a byline. */
export function parseByline(block: { lines: string[] }): string[] | null {
  if (block.lines.length !== 1) return null;
  const match = BYLINE.exec(block.lines[0].trim());
  if (!match || HAS_CREDIT_MARKER.test(match[1])) return null;
  const names = match[1]
    .split(NAME_SEPARATOR)
    .map((name) => name.trim())
    .filter((name) => name !== '');
  // Names, not prose ("By the way, …" is a paragraph): capitalised words, no digits or sentence ends.
  if (names.length === 0 || !names.every((name) => PERSON_NAME.test(name) && name.split(/\s+/).length <= 6)) return null;
  return names.map(nameCase);
}

const PERSON_NAME = /^\p{Lu}[\p{L}\p{M}'’.\- ]*$/u;

/** An all-caps name in name case (`O'NEILL` → `O'Neill`, `MØLLER` → `Møller`); any other as written. */
export function nameCase(name: string): string {
  if (name !== name.toUpperCase() || name === name.toLowerCase()) return name;
  return name.toLowerCase().replace(/(^|[\s'’\-.])(\p{Ll})/gu, (_m, before: string, letter: string) => before + letter.toUpperCase());
}

// PLACE (upper case: letters, spaces, periods, apostrophes, hyphens), then optionally `, Region`,
// then optionally `(AGENCY)`, then a dash (`—` or `–`, spaced or not, or ` - `), then the text.
const DATELINE = /^(\p{Lu}[\p{Lu}\p{M}.'’\- ]*[\p{Lu}\p{M}.])(, [\p{L}\p{M}.'’\- ]+?)?(?: \([^()]{1,60}\))?(?: ?[—–] ?| - )(\S[\s\S]*)$/u;

// The same in Chinese and Japanese copy. With no capitals to mark a place, the agency is what
// marks a dateline, so it must be a news agency by name (a parenthesis after a clause is more
// often an abbreviation or a source: `人工智能（AI）——`, `（人民出版社）`); a pair such as `AFP＝時事`
// is one too. An unknown agency is a miss, which keeps the text whole; a guess could cut prose.
const AGENCY_NAMES = [
  'AP', 'AFP', 'Reuters', 'Bloomberg', 'Kyodo', 'Jiji', 'Xinhua', 'Yonhap', 'dpa', 'DPA', 'EFE', 'ANSA', 'TASS', 'UPI',
  'Bernama', 'Antara', 'Interfax', 'Sputnik', 'Anadolu',
  '美联社', '美聯社', '路透社', '路透', '法新社', '新华社', '新華社', '中新社', '共同社', '共同通信', '共同', '时事社',
  '時事通信', '時事', '彭博社', '彭博', '塔斯社', '俄新社', '韩联社', '韓聯社', '聯合ニュース', '德新社', '埃菲社',
  '安莎社', '中央社', '合众国际社', 'ロイター', 'ブルームバーグ', 'タス', '新華社',
];
const CJK_AGENCY = `(?:${AGENCY_NAMES.join('|')})(?: ?[＝=・/／] ?(?:${AGENCY_NAMES.join('|')}))?`;
// A place: 2–12 Han or katakana characters, as long as a city with its country (`美国华盛顿`,
// `アメリカ・ニューヨーク`). No hiragana: Japanese prose has it, place names almost never do.
const CJK_PLACE = '[\\p{Script=Han}\\p{Script=Katakana}\\u30FC\\u30FB\\u3005·]{2,12}';
// A place that ends as an agency's, a site's or a paper's name is the subject of prose about it
// (`美联社（AP）——`, `美国有线电视新闻网（CNN）`), not where the story was filed.
// So is one with a word no place name has (的, 了, 这, 们, 说): `他说（美联社）——` opens a sentence.
const NOT_A_PLACE = new RegExp(`(?:社|通信|通讯|网|網|报|報|新闻|新聞|ニュース|${AGENCY_NAMES.join('|')})$|[的了这這们們说說]`, 'u');
const CJK_DASH = '(?:——|—|―|－|–|-)';
const CJK_SPACE = '[ \\u3000]?';
// `哈尔滨（美联社）——正文`, `北京，5月17日（美联社）—— 正文`, `ハルビン（AP）― 本文`: a place, optionally
// a region or date after a comma (kept, as `, China` is in English), the agency in parentheses,
// then a dash, spaced or not.
const CJK_DATELINE = new RegExp(
  `^(${CJK_PLACE})((?:[，,、]${CJK_SPACE}[\\p{Script=Han}\\p{Script=Katakana}\\u30FC\\u30FB\\p{N} ]{1,12})?)${CJK_SPACE}[（(](?:${CJK_AGENCY})[)）]${CJK_SPACE}${CJK_DASH}${CJK_SPACE}(\\S[\\s\\S]*)$`,
  'u'
);
// Japanese agency style: `【北京＝共同】本文`, `【ワシントン時事】本文`: the place, then the agency.
const BRACKET_DATELINE = new RegExp(`^【(${CJK_PLACE}?)[＝=]?(?:${CJK_AGENCY})】${CJK_SPACE}(\\S[\\s\\S]*)$`, 'u');
// Chinese agency style: `新华社北京5月17日电 正文` or `本报北京5月17日电（记者 王芳）正文`.
const DISPATCH_DATELINE = new RegExp(
  `^(?:新华社|中新社|中新网|本报)(${CJK_PLACE})([0-9０-９]{1,2}月[0-9０-９]{1,2}日)电(?:[（(][^（）()]{1,30}[)）])?${CJK_SPACE}(\\S[\\s\\S]*)$`,
  'u'
);

/**
 * `HARBIN, China (AP) — Russian President…` → { dateline: "HARBIN, China", rest: "Russian President…" };
 * `哈尔滨（美联社）——俄罗斯总统…` → { dateline: "哈尔滨", rest: "俄罗斯总统…" }. Null if none.
 */
export function parseDateline(text: string): { dateline: string; rest: string } | null {
  const match = DATELINE.exec(text);
  if (match) {
    const place = match[1].trim();
    if (!/\p{Lu}.*\p{Lu}/u.test(place)) return null; // one capital letter is not a place name
    return { dateline: `${place}${match[2] ?? ''}`, rest: match[3] };
  }
  const cjk = CJK_DATELINE.exec(text);
  if (cjk && !NOT_A_PLACE.test(cjk[1])) return { dateline: `${cjk[1]}${cjk[2].trimEnd()}`, rest: cjk[3] };
  const bracket = BRACKET_DATELINE.exec(text);
  if (bracket && !NOT_A_PLACE.test(bracket[1])) return { dateline: bracket[1], rest: bracket[2] };
  const dispatch = DISPATCH_DATELINE.exec(text);
  if (dispatch) return { dateline: dispatch[1], rest: dispatch[3] };
  return null;
}

function lineForIssue(
  issue: ZodIssue,
  headlineLine: number,
  leadLine: number | undefined,
  bodyLines: number[],
): number | undefined {
  const [field, index] = issue.path;
  if (field === 'headline') return headlineLine;
  if (field === 'lead') return leadLine;
  if (field === 'body' && typeof index === 'number') return bodyLines[index];
  return undefined;
}

function describeIssue(issue: ZodIssue): string {
  if (issue.code === 'custom') {
    return issue.message;
  }
  if (issue.path[0] === 'source') {
    return 'file name gives an empty story source';
  }
  const path = issue.path.join('.');
  return path === '' ? issue.message : `${path}: ${issue.message}`;
}

function failure(file: string, message: string, line?: number): ParseResult {
  return { ok: false, error: line === undefined ? { file, message } : { file, line, message } };
}

/** Offset of the first byte that breaks UTF-8 (RFC 3629), or -1 if the bytes are valid. */
function firstInvalidUtf8Offset(bytes: Uint8Array): number {
  const isContinuation = (offset: number, low = 0x80, high = 0xbf): boolean =>
    offset < bytes.length && bytes[offset] >= low && bytes[offset] <= high;
  let offset = 0;
  while (offset < bytes.length) {
    const lead = bytes[offset];
    let size: number;
    let low = 0x80;
    let high = 0xbf;
    if (lead < 0x80) size = 1;
    else if (lead >= 0xc2 && lead <= 0xdf) size = 2;
    else if (lead === 0xe0) [size, low] = [3, 0xa0];
    else if (lead === 0xed) [size, high] = [3, 0x9f];
    else if (lead >= 0xe1 && lead <= 0xef) size = 3;
    else if (lead === 0xf0) [size, low] = [4, 0x90];
    else if (lead >= 0xf1 && lead <= 0xf3) size = 4;
    else if (lead === 0xf4) [size, high] = [4, 0x8f];
    else return offset;
    for (let next = 1; next < size; next += 1) {
      const ok = next === 1 ? isContinuation(offset + 1, low, high) : isContinuation(offset + next);
      if (!ok) return offset;
    }
    offset += size;
  }
  return -1;
}

/** 1-based line of a byte offset, counting LF, CRLF and lone CR as line ends. */
function lineOfByteOffset(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let index = 0; index < offset; index += 1) {
    if (bytes[index] === 0x0a) line += 1;
    else if (bytes[index] === 0x0d && bytes[index + 1] !== 0x0a) line += 1;
  }
  return line;
}
