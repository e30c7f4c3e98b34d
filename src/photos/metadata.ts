import exifr from 'exifr';

/** What an agency writes into a photo file about the photo. */
export interface PhotoMetadata {
  caption?: string;
  credit?: string;
  photographer?: string;
  copyright?: string;
}

const ESC_UTF8 = Buffer.from([0x1b, 0x25, 0x47]);

/** The IPTC IIM block of a JPEG: resource 0x0404 of its APP13 "Photoshop 3.0" segment. */
function iimBlock(bytes: Buffer): Buffer | undefined {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return undefined;
  let at = 2;
  while (at + 4 <= bytes.length && bytes[at] === 0xff) {
    const marker = bytes[at + 1];
    if (marker === 0xda || marker === 0xd9) return undefined; // image data: no more metadata
    const length = bytes.readUInt16BE(at + 2);
    const segment = bytes.subarray(at + 4, at + 2 + length);
    if (marker === 0xed && segment.subarray(0, 14).toString('latin1') === 'Photoshop 3.0\0') {
      let r = 14;
      while (r + 12 <= segment.length && segment.subarray(r, r + 4).toString('latin1') === '8BIM') {
        const id = segment.readUInt16BE(r + 4);
        const nameLength = segment[r + 6];
        const sizeAt = r + 6 + nameLength + 1 + ((nameLength + 1) % 2);
        if (sizeAt + 4 > segment.length) return undefined;
        const size = segment.readUInt32BE(sizeAt);
        if (id === 0x0404) return segment.subarray(sizeAt + 4, sizeAt + 4 + size);
        r = sizeAt + 4 + size + (size % 2);
      }
    }
    at += 2 + length;
  }
  return undefined;
}

/** What IIM record 1:90 (coded character set) declares: UTF-8, another set (ISO 8859…), or nothing. */
function declaredCharset(bytes: Buffer): 'utf8' | 'other' | undefined {
  const iim = iimBlock(bytes);
  if (!iim) return undefined;
  for (let at = 0; at + 5 <= iim.length && iim[at] === 0x1c; ) {
    const length = iim.readUInt16BE(at + 3);
    if (iim[at + 1] === 1 && iim[at + 2] === 90) return iim.subarray(at + 5, at + 5 + length).equals(ESC_UTF8) ? 'utf8' : 'other';
    at += 5 + length;
  }
  return undefined;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Windows-1252 by Node's own decoder. Not its one-shot `decode()`: on Node 20 that takes a Latin-1
 * fast path and gives C1 control characters for 0x80–0x9F (curly quotes, dashes, €…;
 * nodejs/node#56542); a streaming decode goes through ICU's converter, which is right. The
 * encoding is single-byte, so nothing is held back between calls.
 */
function decodeWindows1252(bytes: Buffer): string {
  return new TextDecoder('windows-1252').decode(bytes, { stream: true });
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

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** XML character references and the five predefined entities, which exifr leaves in XMP text. */
function decodeXml(value: string): string {
  return value.replace(/&(?:#x([0-9a-f]+)|#(\d+)|(amp|lt|gt|quot|apos));/gi, (whole, hex: string | undefined, decimal: string | undefined, name: string | undefined) => {
    if (name) return ENTITIES[name.toLowerCase()] ?? whole;
    const code = hex ? parseInt(hex, 16) : Number(decimal);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

/**
 * A text value: a string, a language alternative (`{ lang, value }`: the `x-default` one, else the
 * first), or a list (a photographer's several names, joined).
 */
function text(value: unknown): string | undefined {
  if (typeof value === 'string' || typeof value === 'number') return clean(String(value));
  if (Array.isArray(value)) {
    const alternatives = value.filter((v): v is { lang: string; value: unknown } => Boolean(v) && typeof v === 'object' && 'lang' in v && 'value' in v);
    if (alternatives.length > 0) return text((alternatives.find((v) => v.lang === 'x-default') ?? alternatives[0]).value);
    const parts = value.map(text).filter((part): part is string => part !== undefined);
    return parts.length > 0 ? clean(parts.join(', ')) : undefined;
  }
  if (value && typeof value === 'object' && 'value' in value) return text((value as { value: unknown }).value);
  return undefined;
}

/** An XMP text value, its XML escapes decoded. */
function xmpText(value: unknown): string | undefined {
  const found = text(value);
  return found === undefined ? undefined : clean(decodeXml(found));
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
    caption: xmpText(parsed.dc?.description) ?? iptc('Caption'),
    credit: xmpText(parsed.photoshop?.Credit) ?? iptc('Credit'),
    photographer: iptc('Byline') ?? xmpText(parsed.dc?.creator),
    copyright: xmpText(parsed.dc?.rights) ?? iptc('CopyrightNotice'),
  };
  return Object.fromEntries(Object.entries(metadata).filter(([, value]) => value !== undefined)) as PhotoMetadata;
}
