// Debian's Chromium (/usr/bin/chromium), headless, driven by playwright-core. Playwright never
// downloads a browser here: it only talks to the executable we name.
//
// Every test gets a new browser context (its own cookie jar and storage) whose pages are
// watched for problems: JavaScript console errors, uncaught page errors, failed requests
// (network errors, CSP blocks, aborted loads) and sub-resources (CSS, scripts, images) that
// answered with an HTTP error. Documents with an error status (the login page re-rendered with
// 401 after a wrong password, latchkey's 400 error page) are deliberate and are not problems.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ARTIFACTS = path.join(HERE, '..', 'artifacts');

export const CHROMIUM = process.env.E2E_CHROMIUM || '/usr/bin/chromium';

export const STEP_TIMEOUT_MS = 10_000;

export async function launchBrowser() {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: apt-get install chromium (scripts/test does it)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
    ],
    timeout: 30_000,
  });
}

/**
 * A fresh context with one page. `problems()` lists everything that should fail the test;
 * `assertClean()` throws listing them.
 *
 * Chromium logs "Failed to load resource: the server responded with a status of N" as a console
 * error for every response with an error status, documents included. For a document that
 * deliberately answers with an error status (latchkey's login page re-rendered with 401 after a
 * wrong password, its 400 error page, an RP's error view) that line is the browser reporting the
 * status, not a JavaScript error, so it is not counted; the same line for a sub-resource is (and
 * the sub-resource's status is reported on its own too).
 *
 * Favicons: Chromium asks each origin for /favicon.ico by itself; latchkey and the demo RPs
 * have none and answer 404. That request is made by the browser, not by the page, and is no
 * page problem, so a /favicon.ico 404 or failure is ignored should it show up in the events.
 */
export async function openPage(browser, { width = 1280, height = 800 } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, locale: 'en-US' });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
  const found = [];
  const consoleErrors = [];
  const errorDocuments = new Set();
  const isFavicon = (url) => {
    try {
      return new URL(url).pathname === '/favicon.ico';
    } catch {
      return false;
    }
  };
  const watch = (page) => {
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      consoleErrors.push({ page: page.url(), text: msg.text(), where: msg.location()?.url || page.url() });
    });
    page.on('pageerror', (err) => found.push(`uncaught error on ${page.url()}: ${err.message}`));
    page.on('requestfailed', (req) => {
      if (isFavicon(req.url())) return;
      // A script's request cut short by the page navigating away (the login page's background
      // passkey request when the form is submitted at once) is the browser's doing, not the
      // page's: every other failure is still a problem.
      if (req.failure()?.errorText === 'net::ERR_ABORTED' && req.resourceType() !== 'document') return;
      found.push(`request failed: ${req.method()} ${req.url()}: ${req.failure()?.errorText}`);
    });
    page.on('response', (res) => {
      if (res.status() < 400 || isFavicon(res.url())) return;
      const req = res.request();
      if (req.resourceType() === 'document') {
        errorDocuments.add(res.url());
      } else {
        found.push(`sub-resource error: ${req.method()} ${res.url()} -> HTTP ${res.status()}`);
      }
    });
  };
  context.on('page', watch);
  const page = await context.newPage();
  // Every main-frame URL the page went through, redirects included.
  const visited = [];
  page.on('request', (req) => {
    if (req.isNavigationRequest() && req.frame() === page.mainFrame()) visited.push(req.url());
  });
  const problems = () => [
    ...found,
    ...consoleErrors
      .filter(
        (c) =>
          !isFavicon(c.where) &&
          !(c.text.startsWith('Failed to load resource: the server responded with a status of') &&
            errorDocuments.has(c.where)),
      )
      .map((c) => `console error on ${c.page}: ${c.text} (${c.where})`),
  ];
  return {
    context,
    page,
    problems,
    visited,
    assertClean(what = 'the pages') {
      const p = problems();
      if (p.length > 0) throw new Error(`problems in ${what}:\n  ${p.join('\n  ')}`);
    },
    async close() {
      await context.close();
    },
  };
}

/** Save a full-page PNG to tests/e2e/artifacts/NAME.png. */
export async function screenshot(page, name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
