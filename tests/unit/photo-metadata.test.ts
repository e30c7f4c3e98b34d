import { decodeIptcText, readPhotoMetadata } from '../../src/photos/metadata';
import { IIM, iptcSegment, jpegWith, xmpSegment } from '../helpers/photos';

describe('photo metadata (IPTC IIM and XMP)', () => {
  it('IPTC declared UTF-8 (1:90): accents, curly quotes and dashes survive', async () => {
    const jpeg = await jpegWith([iptcSegment([[IIM.caption, 'Crème brûlée – “quoted” 北京'], [IIM.credit, 'AP'], [IIM.byline, 'Zoë Ångström'], [IIM.copyright, '© 2026 AP']], 'utf8')]);
    expect(await readPhotoMetadata(jpeg)).toEqual({ caption: 'Crème brûlée – “quoted” 北京', credit: 'AP', photographer: 'Zoë Ångström', copyright: '© 2026 AP' });
  });

  it('IPTC without a declaration, in Latin-1: accents survive', async () => {
    const jpeg = await jpegWith([iptcSegment([[IIM.caption, 'Señora Müller à la façade'], [IIM.byline, 'José Núñez']], 'latin1')]);
    expect(await readPhotoMetadata(jpeg)).toEqual({ caption: 'Señora Müller à la façade', photographer: 'José Núñez' });
  });

  it('IPTC without a declaration but in UTF-8 (what most tools write now) is read as UTF-8', async () => {
    const jpeg = await jpegWith([iptcSegment([[IIM.caption, 'Ça va – très bien']], 'utf8')]);
    // The same bytes without 1:90: build them by hand.
    const undeclared = await jpegWith([iptcSegment([[IIM.caption, Buffer.from('Ça va – très bien', 'utf8').toString('latin1')]], 'latin1')]);
    expect((await readPhotoMetadata(jpeg)).caption).toBe('Ça va – très bien');
    expect((await readPhotoMetadata(undeclared)).caption).toBe('Ça va – très bien');
  });

  it('XMP wins over IPTC: dc:description, photoshop:Credit, dc:rights; the photographer from IPTC By-line, else dc:creator', async () => {
    const both = await jpegWith([
      xmpSegment({ description: 'XMP caption', credit: 'XMP credit', rights: 'XMP rights', creator: 'XMP Creator' }),
      iptcSegment([[IIM.caption, 'IIM caption'], [IIM.credit, 'IIM credit'], [IIM.copyright, 'IIM rights'], [IIM.byline, 'IIM Byline']], 'utf8'),
    ]);
    expect(await readPhotoMetadata(both)).toEqual({ caption: 'XMP caption', credit: 'XMP credit', copyright: 'XMP rights', photographer: 'IIM Byline' });
    const xmpOnly = await jpegWith([xmpSegment({ creator: 'Jörg Émile' })]);
    expect(await readPhotoMetadata(xmpOnly)).toEqual({ photographer: 'Jörg Émile' });
  });

  it('XMP: escapes decoded; of several languages the x-default', async () => {
    const jpeg = await jpegWith([xmpSegment({ description: 'Smith & Jones <at> the été', rights: '© A & B' })]);
    expect(await readPhotoMetadata(jpeg)).toEqual({ caption: 'Smith & Jones <at> the été', copyright: '© A & B' });
    const languages = (await jpegWith([xmpSegment({ description: 'Default' })])).toString('latin1').replace(
      '<rdf:li xml:lang="x-default">Default</rdf:li>',
      '<rdf:li xml:lang="fr">Français</rdf:li><rdf:li xml:lang="x-default">Default</rdf:li>'
    );
    // The XMP segment grew: its length field is rewritten.
    const bytes = Buffer.from(languages, 'latin1');
    const at = bytes.indexOf(Buffer.from('http://ns.adobe.com/xap/1.0/'));
    bytes.writeUInt16BE(bytes.indexOf(Buffer.from('</x:xmpmeta>')) + '</x:xmpmeta>'.length - (at - 2), at - 2);
    expect((await readPhotoMetadata(bytes)).caption).toBe('Default');
  });

  it('the IIM character set is read from the IPTC block only: the same bytes elsewhere in the file change nothing', async () => {
    // A comment segment holding 1:90-like bytes (as compressed data or a thumbnail may by chance).
    const decoy = Buffer.concat([Buffer.from([0xff, 0xfe, 0x00, 0x0a]), Buffer.from([0x1c, 0x01, 0x5a, 0x00, 0x03, 0x1b, 0x2d, 0x41])]);
    const jpeg = await jpegWith([decoy, iptcSegment([[IIM.byline, Buffer.from('José', 'utf8').toString('latin1')]], 'latin1')]);
    expect((await readPhotoMetadata(jpeg)).photographer).toBe('José');
  });

  it('a file without metadata, or not an image, yields nothing', async () => {
    expect(await readPhotoMetadata(await jpegWith([]))).toEqual({});
    expect(await readPhotoMetadata(Buffer.from('not an image'))).toEqual({});
  });

  it('decodeIptcText: Windows-1252 for undeclared bytes that are not UTF-8; text already decoded is kept', () => {
    expect(decodeIptcText(Buffer.from([0x93, 0x41, 0x94]).toString('latin1'), undefined)).toBe('“A”');
    expect(decodeIptcText('北京', undefined)).toBe('北京');
    // Declared as another set (ISO 8859-1, ESC - A): Latin even where the bytes would pass as UTF-8.
    expect(decodeIptcText(Buffer.from('Ã©', 'latin1').toString('latin1'), 'other')).toBe('Ã©');
    expect(decodeIptcText(Buffer.from('Ã©', 'latin1').toString('latin1'), undefined)).toBe('é');
  });

  it('decodeIptcText: every byte of Windows-1252 as the WHATWG table maps it, call after call', () => {
    // 0x80–0x9F are where Windows-1252 and Latin-1 differ (five are unassigned: kept as C1).
    const high = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const expected = Array.from({ length: 256 }, (_, i) => (i >= 0x80 && i <= 0x9f ? high[i - 0x80] : String.fromCharCode(i))).join('');
    for (let round = 0; round < 3; round += 1) expect(decodeIptcText(all.toString('latin1'), 'other')).toBe(expected);
    // Text cut after a byte that would begin a multi-byte sequence elsewhere leaves nothing behind.
    expect(decodeIptcText(Buffer.from([0xc3]).toString('latin1'), 'other')).toBe('Ã');
    expect(decodeIptcText(Buffer.from([0x41]).toString('latin1'), 'other')).toBe('A');
  });
});
