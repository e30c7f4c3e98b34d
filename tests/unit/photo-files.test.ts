import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { inspectPhotoFile, matchPhotoFiles } from '../../src/importer/photo-files';
import { parseStory, type Story } from '../../src/story';
import { bombPng, jpegWith } from '../helpers/photos';

const LIMITS = { maxBytes: 5 * 1024 * 1024, maxPixels: 10_000_000 };
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'photo-files-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function story(text: string, name: string): Story {
  const parsed = parseStory(text, name);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.story;
}
const TWO_PHOTOS = 'Headline\n\nLead photo. Credit: AP\n\nA paragraph.\n\nBody photo. Credit: AP\n\nMore.\n';
const ONE_PHOTO = 'Other headline\n\nA paragraph.\n\nBody photo. Credit: AP\n';

describe('inspectPhotoFile', () => {
  it('JPEG, PNG and WebP with their size, type and sha256', async () => {
    const files: Array<[string, Buffer, string]> = [
      ['a-1.jpg', await jpegWith([], { width: 300, height: 200 }), 'image/jpeg'],
      ['a-2.png', await sharp({ create: { width: 320, height: 240, channels: 3, background: '#123456' } }).png().toBuffer(), 'image/png'],
      ['a-3.webp', await sharp({ create: { width: 64, height: 64, channels: 3, background: '#654321' } }).webp().toBuffer(), 'image/webp'],
    ];
    for (const [name, bytes, mime] of files) {
      writeFileSync(join(dir, name), bytes);
      const result = await inspectPhotoFile(join(dir, name), 1, LIMITS);
      expect(result).toMatchObject({ ok: true, photo: { mime, size: bytes.length, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) } });
    }
  });

  it.each([
    ['not an image', 'x-1.jpg', async () => Buffer.from('plain text'), /x-1\.jpg: not an image/],
    ['a PNG named .jpg', 'x-2.jpg', async () => sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } }).png().toBuffer(), /named \.jpg but holds a PNG image/],
    ['truncated', 'x-3.jpg', async () => {
      const whole = await jpegWith([], { width: 600, height: 400 });
      return whole.subarray(0, Math.floor(whole.length / 2));
    }, /a damaged or truncated image/],
    ['a decompression bomb', 'x-4.png', async () => bombPng(50_000, 50_000), /50000×50000 pixels, over the 10000000-pixel limit \(IMAGE_MAX_PIXELS\)/],
    ['over the byte limit', 'x-5.jpg', async () => Buffer.concat([await jpegWith([], { width: 100, height: 100 }), Buffer.alloc(LIMITS.maxBytes)]), /bytes, over the 5242880-byte limit \(UPLOAD_MAX_BYTES\)/],
  ])('refuses %s, naming the file', async (_what, name, bytes, message) => {
    writeFileSync(join(dir, name), await bytes());
    const result = await inspectPhotoFile(join(dir, name), 1, LIMITS);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.startsWith(join(dir, name))).toBe(true);
      expect(result.error).toMatch(message);
    }
  });
});

describe('matchPhotoFiles', () => {
  it('<base>-<n> by photo block; a number past the blocks is an error; `abc-2-1.jpg` is the photo of `abc-2`, not of `abc`', async () => {
    const folder = mkdtempSync(join(dir, 'match-'));
    for (const name of ['abc-1.jpg', 'abc-2.JPEG', 'abc-3.png', 'abc-2-1.jpg', 'notes.txt.jpg', 'ABC-1.jpg']) writeFileSync(join(folder, name), 'x');
    const entries = [
      { file: join(folder, 'abc.txt'), story: story(TWO_PHOTOS, 'abc.txt') },
      { file: join(folder, 'abc-2.txt'), story: story(ONE_PHOTO, 'abc-2.txt') },
    ];
    const single = await matchPhotoFiles(entries, new Set());
    expect(single.matched.get(join(folder, 'abc.txt'))).toEqual([
      { position: 1, path: join(folder, 'abc-1.jpg') },
      { position: 2, path: join(folder, 'abc-2.JPEG') },
    ]);
    expect(single.matched.get(join(folder, 'abc-2.txt'))).toEqual([{ position: 1, path: join(folder, 'abc-2-1.jpg') }]);
    expect(single.errors).toEqual([`${join(folder, 'abc-3.png')}: matches no photo block of abc.txt (it has 2; the lead photo is 1)`]);
    // A folder given whole: an image that is no story's is an error too.
    const whole = await matchPhotoFiles(entries, new Set([folder]));
    expect(whole.errors).toContain(`${join(folder, 'notes.txt.jpg')}: matches no story's photo block (name photos <story>-<n>.jpg)`);
    // Names are case-sensitive: ABC-1.jpg is not abc's.
    expect(whole.errors).toContain(`${join(folder, 'ABC-1.jpg')}: matches no story's photo block (name photos <story>-<n>.jpg)`);
  });
});
