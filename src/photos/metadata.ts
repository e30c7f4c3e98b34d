import exifr from 'exifr';

/** What an agency writes into a photo file about the photo. */
export interface PhotoMetadata {
  caption?: string;
  credit?: string;
  photographer?: string;
  copyright?: string;
}

// IPTC IIM record 1, dataset 90: the coded character set of the text datasets (ESC % G: UTF-8).
const IIM_CHARSET = Buffer.from([0x1c, 0x01, 0x5a]);
const ESC_UTF8 = Buffer.from([0x1b, 0x25, 0x47]);

/** What IIM record 1:90 declares: UTF-8, another set (ISO 8859 and the like), or nothing. */
function declaredCharset(bytes: Buffer): 'utf8' | 'other' | undefined {
  const at = bytes.indexOf(IIM_CHARSET);
  if (at === -1 || at + 5 > bytes.length) return undefined;
  const length = bytes.readUInt16BE(at + 3);
  return bytes.subarray(at + 5, at + 5 + length).equals(ESC_UTF8) ? 'utf8' : 'other';
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

// Windows-1252's 0x80–0x9F (curly quotes, dashes, €…); the rest of its range is Latin-1. Node's own
// 'windows-1252' decoder gives C1 control characters for these on builds without full ICU.
const CP1252_HIGH = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';
function decodeWindows1252(bytes: Buffer): string {
  let text = '';
  for (const byte of bytes) text += byte >= 0x80 && byte <= 0x9f ? CP1252_HIGH[byte - 0x80] : String.fromCharCode(byte);
  return text;
}

/**
 * IPTC text as its bytes say. exifr hands IIM strings over byte by byte (one code point per byte),
 * so the bytes are recovered and decoded: UTF-8 when record 1:90 declares it, Latin (Windows-1252,
 * a superset of ISO 8859-1) when it declares another set; undeclared text as UTF-8 when it is
 * valid UTF-8 (what most tools write today), else as Windows-1252, the Latin character set older
 * tools write without saying so. Accents survive either way.
 */
export function decodeIptcText(raw: string, declared: 'utf8' | 'other' | undefined): string {
  // Anything above U+00FF means exifr already decoded it: keep it.
  if (/[^\u0000-\u00ff]/.test(raw)) return raw;
  const bytes = Buffer.from(raw, 'latin1');
  if (declared === 'utf8') return bytes.toString('utf8');
  if (declared === 'other') return decodeWindows1252(bytes);
  try {
    return utf8.decode(bytes);
  } catch {
    return decodeWindows1252(bytes);
  }
}

/** A text value from XMP or IPTC: a string, a language alternative (`{ lang, value }`), or a list of either. */
function text(value: unknown): string | undefined {
  if (typeof value === 'string' || typeof value === 'number') return clean(String(value));
  if (Array.isArray(value)) {
    const parts = value.map(text).filter((part): part is string => part !== undefined);
    return parts.length > 0 ? clean(parts.join(', ')) : undefined;
  }
  if (value && typeof value === 'object' && 'value' in value) return text((value as { value: unknown }).value);
  return undefined;
}

function clean(value: string): string | undefined {
  const trimmed = value.replace(/\u0000+$/g, '').replace(/\s+/g, ' ').trim();
  return trimmed === '' ? undefined : trimmed;
}

/**
 * The photo's caption, credit, photographer and copyright, read from its bytes before anything
 * re-encodes them (re-encoding drops the metadata). XMP wins over IPTC IIM where both say it, as
 * the IPTC Photo Metadata Standard asks. A file without metadata yields an empty object.
 */
export async function readPhotoMetadata(bytes: Buffer): Promise<PhotoMetadata> {
  // exifr's own typings do not cover its segment-by-segment output; read it as plain data.
  const parsed = ((await exifr
    .parse(bytes, { iptc: true, xmp: true, tiff: false, ifd0: false, exif: false, gps: false, interop: false, icc: false, jfif: false, ihdr: false, mergeOutput: false } as never)
    .catch(() => undefined)) ?? {}) as {
    iptc?: Record<string, unknown>;
    dc?: Record<string, unknown>;
    photoshop?: Record<string, unknown>;
  };
  const declared = declaredCharset(bytes);
  const iptc = (key: string): string | undefined => {
    const value = parsed.iptc?.[key];
    const values = Array.isArray(value) ? value : [value];
    const decoded = values.filter((v): v is string => typeof v === 'string').map((v) => decodeIptcText(v, declared));
    return text(decoded);
  };
  const metadata: PhotoMetadata = {
    caption: text(parsed.dc?.description) ?? iptc('Caption'),
    credit: text(parsed.photoshop?.Credit) ?? iptc('Credit'),
    photographer: iptc('Byline') ?? text(parsed.dc?.creator),
    copyright: text(parsed.dc?.rights) ?? iptc('CopyrightNotice'),
  };
  return Object.fromEntries(Object.entries(metadata).filter(([, value]) => value !== undefined)) as PhotoMetadata;
}
