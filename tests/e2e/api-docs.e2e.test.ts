/// <reference lib="dom" />
/**
 * The API reference page (/api/docs) in Chromium: Swagger UI renders the service's OpenAPI
 * document from the service's own files, under its Content-Security-Policy, asking no other host;
 * an operation opens to show its parameters. A screenshot is kept in tests/e2e/artifacts/.
 */
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { startApp, type TestApp } from '../helpers/strapi';

const ARTIFACTS = join(__dirname, 'artifacts');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

let app: TestApp;
let browser: Browser;

beforeAll(async () => {
  process.env.TEST_SERVER_URL ??= process.env.TEST_DATABASE_SERVER ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  app = await startApp();
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
  mkdirSync(ARTIFACTS, { recursive: true });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

it('/api/docs renders every operation of the document, with its own scripts only, and no error in the console', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const origin = new URL(app.baseUrl).origin;
  const elsewhere: string[] = [];
  const problems: string[] = [];
  page.on('request', (request) => {
    if (!request.url().startsWith(origin) && !request.url().startsWith('data:')) elsewhere.push(request.url());
  });
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));

  await page.goto(`${app.baseUrl}/api/docs`, { waitUntil: 'load' });
  await page.waitForSelector('.opblock-summary', { timeout: 30_000 });
  const spec = (await (await fetch(`${app.baseUrl}/api/openapi.json`)).json()) as { info: { title: string }; paths: Record<string, Record<string, unknown>> };
  const operations = Object.values(spec.paths).reduce((n, methods) => n + Object.keys(methods).length, 0);
  await page.waitForFunction((n) => document.querySelectorAll('.opblock-summary').length >= n, operations, { timeout: 30_000 });
  expect(await page.locator('.opblock-summary').count()).toBe(operations);
  expect(await page.locator('.info .title').innerText()).toContain(spec.info.title);

  // An operation opens with its parameters (the article list's filters, pagination, populate).
  await page.locator('#operations-Article-listArticles .opblock-summary').click();
  await page.waitForSelector('#operations-Article-listArticles .parameters', { timeout: 10_000 });
  const parameters = await page.locator('#operations-Article-listArticles .parameters .parameter__name').allInnerTexts();
  expect(parameters.join(' ')).toMatch(/filters[\s\S]*pagination[\s\S]*populate/);

  const screenshot = join(ARTIFACTS, 'api-docs.png');
  await page.screenshot({ path: screenshot, fullPage: false });
  expect(statSync(screenshot).size).toBeGreaterThan(10_000);
  expect(elsewhere).toEqual([]);
  expect(problems).toEqual([]);
  await page.close();
});
