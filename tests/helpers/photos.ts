import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';

/** IPTC IIM datasets of record 2 by their number (120 caption, 110 credit, 80 by-line, 116 copyright). */
export const IIM = { caption: 120, credit: 110, byline: 80, copyright: 116 } as const;

/**
 * An APP13 "Photoshop 3.0" segment with an IPTC IIM block, as agencies' tools write it: with
 * record 1:90 declaring UTF-8 when `charset` is 'utf8', else undeclared bytes in Latin-1.
 */
export function iptcSegment(datasets: Array<[number, string]>, charset: 'utf8' | 'latin1'): Buffer {
  const parts: Buffer[] = [];
  const dataset = (record: number, tag: number, value: Buffer) => parts.push(Buffer.from([0x1c, record, tag, value.length >> 8, value.length & 0xff]), value);
  if (charset === 'utf8') dataset(1, 90, Buffer.from([0x1b, 0x25, 0x47]));
  for (const [tag, text] of datasets) dataset(2, tag, Buffer.from(text, charset));
  const iim = Buffer.concat(parts);
  const size = Buffer.alloc(4);
  size.writeUInt32BE(iim.length);
  const resource = Buffer.concat([Buffer.from('8BIM'), Buffer.from([0x04, 0x04, 0, 0]), size, iim, Buffer.alloc(iim.length % 2)]);
  return segment(0xed, Buffer.concat([Buffer.from('Photoshop 3.0\0', 'latin1'), resource]));
}

/** An APP1 XMP segment with the IPTC Core fields given (UTF-8, as XMP always is). */
export function xmpSegment(fields: { description?: string; creator?: string; rights?: string; credit?: string }): Buffer {
  const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const alt = (text: string) => `<rdf:Alt><rdf:li xml:lang="x-default">${escape(text)}</rdf:li></rdf:Alt>`;
  const xml =
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' +
    '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/">' +
    (fields.description ? `<dc:description>${alt(fields.description)}</dc:description>` : '') +
    (fields.creator ? `<dc:creator><rdf:Seq><rdf:li>${escape(fields.creator)}</rdf:li></rdf:Seq></dc:creator>` : '') +
    (fields.rights ? `<dc:rights>${alt(fields.rights)}</dc:rights>` : '') +
    (fields.credit ? `<photoshop:Credit>${escape(fields.credit)}</photoshop:Credit>` : '') +
    '</rdf:Description></rdf:RDF></x:xmpmeta>';
  return segment(0xe1, Buffer.concat([Buffer.from('http://ns.adobe.com/xap/1.0/\0', 'latin1'), Buffer.from(xml, 'utf8')]));
}

function segment(marker: number, payload: Buffer): Buffer {
  const length = payload.length + 2;
  return Buffer.concat([Buffer.from([0xff, marker, length >> 8, length & 0xff]), payload]);
}

/** A real JPEG of the given size and colour, with the given metadata segments after its SOI marker. */
export async function jpegWith(segments: Buffer[], options: { width?: number; height?: number; colour?: string } = {}): Promise<Buffer> {
  const { width = 1600, height = 1000, colour = '#2a6f97' } = options;
  const plain = await sharp({ create: { width, height, channels: 3, background: colour } })
    // A gradient, so the file is not trivially small and formats differ from the original.
    .composite([{ input: Buffer.from(`<svg width="${width}" height="${height}"><rect x="0" y="0" width="${width / 2}" height="${height}" fill="#f4a261"/></svg>`) }])
    .jpeg({ quality: 85 })
    .toBuffer();
  return Buffer.concat([plain.subarray(0, 2), ...segments, plain.subarray(2)]);
}

/** A PNG whose header claims `width`×`height` pixels with almost no data: a decompression bomb's shape. */
export function bombPng(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 0, 0, 0, 0], 8); // 8-bit greyscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.alloc(1024))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
