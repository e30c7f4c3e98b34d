/// <reference lib="dom" />
/**
 * The reader page with wire photos, in Chromium (playwright-core, Debian's /usr/bin/chromium),
 * against the compiled app booted in-process (`npm run test:e2e` builds first): the browser picks a
 * rendition from `srcset` for its viewport, the lead loads at once, the body photo lazily, every
 * image has its alt text. A full-page screenshot is kept in tests/e2e/artifacts/ (git-ignored).
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { importStories } from '../../scripts/import';
import { readStories } from '../../src/importer/read-stories';
import { IIM, iptcSegment, jpegWith, xmpSegment } from '../helpers/photos';
import { startApp, type TestApp } from '../helpers/strapi';

const ARTIFACTS = join(__dirname, 'artifacts');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const SLUG = 'river-ferry-returns-after-the-floods';

let app: TestApp;
let browser: Browser;
let dir: string;

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

beforeAll(async () => {
  const port = await freePort();
  // Links in the page are absolute on PUBLIC_URL: the browser must reach it.
  // A fresh database on the server DATABASE_URL names (as the admin test does).
  process.env.TEST_SERVER_URL ??= process.env.TEST_DATABASE_SERVER ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  app = await startApp({ env: { PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}` } });
  dir = mkdtempSync(join(tmpdir(), 'reader-photos-'));
  writeFileSync(
    join(dir, 'ferry.txt'),
    `River ferry returns after the floods

The ferry crosses the swollen river at dawn. Credit: AP

The ferry resumed service on Monday after two weeks of floods.

${Array.from({ length: 12 }, () => 'Residents lined the banks to watch the first crossing. '.repeat(30).trim()).join('\n\n')}

Passengers board the ferry in the rain. Credit: Reuters

Officials said the timetable would return to normal within a week.
`
  );
  writeFileSync(join(dir, 'ferry-1.jpg'), await jpegWith([xmpSegment({ creator: 'Zoë Ångström', rights: '© 2026 AP' })], { width: 1800, height: 1200, colour: '#1d3557' }));
  writeFileSync(join(dir, 'ferry-2.jpg'), await jpegWith([iptcSegment([[IIM.byline, 'José Núñez']], 'latin1')], { width: 1200, height: 800, colour: '#6a994e' }));
  const read = await readStories([join(dir, 'ferry.txt')]);
  if (!read.ok) throw new Error(read.errors.join('\n'));
  const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  await importStories(app.strapi, read.stories, { locale: 'en', status: 'published', force: false }, undefined, read.photos);
  log.mockRestore();
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
  mkdirSync(ARTIFACTS, { recursive: true });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface ImageState {
  alt: string | null;
  loading: string;
  complete: boolean;
  naturalWidth: number;
  currentSrc: string;
}

it('desktop and phone each load the rendition their width needs; the body photo waits until it is near; a screenshot is kept', async () => {
  const images = async (page: import('playwright-core').Page) =>
    page.$$eval('article img', (elements) =>
      (elements as HTMLImageElement[]).map((img) => ({ alt: img.getAttribute('alt'), loading: img.loading, complete: img.complete, naturalWidth: img.naturalWidth, currentSrc: img.currentSrc }))
    ) as Promise<ImageState[]>;
  const rest = (await (await fetch(`${app.baseUrl}/api/articles?filters[slug][$eq]=${SLUG}`)).json()) as { data: Array<{ lead: { image: { url: string; formats: Record<string, { url: string }> } } }> };
  const formats = rest.data[0].lead.image.formats;

  // Desktop: the column is 42rem (672 CSS px): the 750-wide rendition.
  const desktop = await browser.newPage({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
  await desktop.goto(`${app.baseUrl}/news/${SLUG}`, { waitUntil: 'load' });
  let [lead, body] = await images(desktop);
  expect(lead).toMatchObject({ alt: 'The ferry crosses the swollen river at dawn.', loading: 'auto', complete: true });
  // (naturalWidth of a srcset image is density-corrected: the 750-pixel file shows as 672.)
  expect(lead.naturalWidth).toBe(672);
  expect(lead.currentSrc.endsWith(formats.medium.url)).toBe(true);
  expect(body).toMatchObject({ alt: 'Passengers board the ferry in the rain.', loading: 'lazy' });
  expect(body.naturalWidth).toBe(0); // far below the fold (past Chromium's lazy-load margin): not fetched yet
  await desktop.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
  await desktop.waitForFunction(() => {
    const img = document.querySelectorAll('article img')[1] as HTMLImageElement;
    return img.complete && img.naturalWidth > 0;
  });
  [lead, body] = await images(desktop);
  expect(body.naturalWidth).toBe(672);
  expect(body.currentSrc).toMatch(/\/uploads\/medium_ferry_2_/);
  await desktop.evaluate(() => window.scrollTo(0, 0));
  const screenshot = join(ARTIFACTS, 'reader-photos.png');
  await desktop.screenshot({ path: screenshot, fullPage: true });
  expect(statSync(screenshot).size).toBeGreaterThan(10_000);
  await desktop.close();

  // A phone, 375 CSS px at 1×: the 500-wide rendition, not the 1,800-pixel original.
  const phone = await browser.newPage({ viewport: { width: 375, height: 700 }, deviceScaleFactor: 1 });
  await phone.goto(`${app.baseUrl}/news/${SLUG}`, { waitUntil: 'load' });
  [lead] = await images(phone);
  expect(lead.complete).toBe(true);
  expect(lead.currentSrc.endsWith(formats.small.url)).toBe(true);
  await phone.screenshot({ path: join(ARTIFACTS, 'reader-photos-phone.png') });
  await phone.close();
});
