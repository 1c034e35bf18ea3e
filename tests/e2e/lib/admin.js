// Helpers for the admin pages' browser test (admin.test.js): reading pages, the forms they post,
// downloads, CSV, and the README's screenshots.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { screenshot } from './browser.js';

const DOCS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'docs', 'screenshots');
/** A screenshot for the README stays under this many bytes (taller pages are cut). */
const DOC_MAX_BYTES = 300_000;
const DOC_MAX_HEIGHT = 2200;

export const text = async (locator) => (await locator.textContent()).replace(/\s+/g, ' ').trim();
export const h1 = (page) => text(page.getByRole('heading', { level: 1 }));
export const notice = (page) => text(page.locator('p.notice[role="status"]'));

/** The signing keys /jwks publishes now. */
export async function publishedKids(latchkey) {
  const res = await fetch(`${latchkey.issuer}/jwks`);
  assert.equal(res.status, 200);
  return new Set((await res.json()).keys.map((k) => k.kid));
}

/** Fill a filter field, whether the page made it a text input or a select. */
export async function setField(page, name, value) {
  const field = page.locator(`form[method="get"] [name="${name}"]`);
  if ((await field.evaluate((el) => el.tagName)) === 'SELECT') await field.selectOption(value);
  else await field.fill(value);
}

/** Click a link that downloads a file; `seen` gets its URL. Returns the file's text. */
export async function download(page, link, seen) {
  const [file] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const u = new URL(file.url());
  seen.add(u.pathname + u.search);
  return fs.readFileSync(await file.path(), 'utf8');
}

/** RFC 4180 CSV into rows of cells (quoted cells may hold commas, quotes and line breaks). */
export function parseCsv(body) {
  const rows = [];
  let row = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (quoted) {
      if (ch === '"' && body[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\r' && body[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += ch;
  }
  if (cell !== '' || row.length) rows.push([...row, cell]);
  return rows;
}

/**
 * Save an artifact, and with E2E_UPDATE_DOCS=1 the README's picture of the page: the whole page,
 * or down to the end of `until` (plus a margin), at most DOC_MAX_HEIGHT pixels.
 */
export async function docShot(page, name, { until } = {}) {
  await screenshot(page, `admin-${name}`);
  if (process.env.E2E_UPDATE_DOCS !== '1') return;
  fs.mkdirSync(DOCS, { recursive: true });
  const file = path.join(DOCS, `admin-${name}.png`);
  let height = await page.evaluate(() => document.documentElement.scrollHeight);
  if (until) {
    const box = await until.evaluate((el) => {
      const r = el.getBoundingClientRect();
      return { bottom: r.bottom + window.scrollY };
    });
    height = Math.min(height, Math.ceil(box.bottom) + 32);
  }
  height = Math.min(height, DOC_MAX_HEIGHT);
  const clip = { x: 0, y: 0, width: page.viewportSize().width, height };
  await page.screenshot({ path: file, fullPage: true, clip });
  const size = fs.statSync(file).size;
  assert.ok(size <= DOC_MAX_BYTES, `${file} is ${size} bytes, more than ${DOC_MAX_BYTES}`);
}

/** The forms of the page that POST: their action and hidden fields other than the CSRF token. */
export function postForms(page) {
  return page.locator('form').evaluateAll((forms) =>
    forms
      .filter((f) => f.method.toLowerCase() === 'post')
      .map((f) => ({
        action: new URL(f.action).pathname,
        fields: Object.fromEntries(
          [...f.querySelectorAll('input[type="hidden"]')]
            .filter((i) => i.name !== 'csrf_token')
            .map((i) => [i.name, i.value]),
        ),
      })),
  );
}

/** Submit a form built in the page (a real browser POST from latchkey's own origin). */
export async function postFromPage(page, action, fields) {
  const answer = page.waitForResponse(
    (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === action,
  );
  await page.evaluate(
    ({ action, fields }) => {
      const form = document.createElement('form');
      form.method = 'post';
      form.action = action;
      for (const [name, value] of Object.entries(fields)) {
        const input = document.createElement('input');
        input.type = 'hidden';
        input.name = name;
        input.value = value;
        form.append(input);
      }
      document.body.append(form);
      form.submit();
    },
    { action, fields },
  );
  const res = await answer;
  await page.waitForURL((u) => u.pathname === action);
  await page.waitForLoadState();
  return res;
}
