import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { packageRoot } from '../src/paths.js';
import { evidenceAnchor } from '../src/report/index-page.js';
import { ensureChromium } from './support/chromium.js';
import { runCli, type CliRun } from './support/cli.js';

/**
 * The reports as a person sees them: the real CLI against a server that
 * accepts expired certificates, then Debian's Chromium at a laptop's
 * viewport. The promise under test: without scrolling, index.html says which
 * case failed and why, and one click shows the evidence.
 */

const viewport = { width: 1280, height: 800 };
const reportRoot = mkdtempSync(path.join(tmpdir(), 'mtlspec-browser-'));
const reportDir = path.join(reportRoot, 'run');
/** reports/ is gitignored: screenshots land where `make conformance` puts its reports, for a human to look at. */
const screenshotDir = path.join(packageRoot, 'reports');

let browser: Browser | undefined;
let run: CliRun;
/** Set when the CLI did not write index.html itself and the test rendered it from results.json. */

before(async () => {
  const executablePath = ensureChromium();
  // The run and the browser start together: each takes seconds, neither needs the other.
  const [cliRun, launched] = await Promise.all([
    runCli(['run', '--flaw', 'ignore-expiry', '--report-dir', reportDir], 90_000),
    chromium.launch({
      executablePath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    }),
  ]);
  run = cliRun;
  browser = launched;
  const index = path.join(reportDir, 'index.html');
  assert.ok(existsSync(index), 'the CLI wrote index.html');
});

after(async () => {
  await browser?.close();
  rmSync(reportRoot, { recursive: true, force: true });
});

async function open(file: string): Promise<Page> {
  assert.ok(browser, 'the browser started');
  const page = await browser.newPage({ viewport });
  await page.goto(pathToFileURL(path.join(reportDir, file)).href);
  return page;
}

/** Whole and on screen now, as the reader sees it (the box is relative to the current scroll). */
async function onScreen(locator: Locator): Promise<boolean> {
  const box = await locator.boundingBox();
  return box !== null && (await locator.isVisible()) && box.y >= 0 && box.y + box.height <= viewport.height;
}

/** The colour the reader sees behind an element. */
function backgroundOf(locator: Locator): Promise<string> {
  // Runs in the page; our tsconfig has no DOM lib, so the one browser global it needs is declared here.
  type Window = { getComputedStyle(element: unknown): { backgroundColor: string } };
  return locator.evaluate((element) => (globalThis as unknown as Window).getComputedStyle(element).backgroundColor);
}

function matrixCell(page: Page, caseId: string, target: string): Locator {
  return page.locator(`table.matrix a[data-case="${caseId}"][data-target="${target}"]`);
}

async function screenshot(page: Page, name: string, diagnostic: (message: string) => void): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true });
  const file = path.join(screenshotDir, name);
  await page.screenshot({ path: file });
  diagnostic(`screenshot: ${file}`);
}

describe('the reports in a browser, after a run against a server that accepts expired certificates', () => {
  it('the run fails and writes index.html', (t) => {
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.ok(existsSync(path.join(reportDir, 'index.html')), 'index.html written');
  });

  it('shows which case failed and why in the first viewport', async (t) => {
    const page = await open('index.html');
    await screenshot(page, 'index-page.png', t.diagnostic.bind(t));
    assert.ok(await onScreen(page.locator('.verdict', { hasText: '6 failures' })), 'the verdict is on screen');
    const box = page.locator('#failures');
    assert.ok(await onScreen(box.getByRole('heading', { name: /Failures \(6\)/ })), 'the failures box is on screen');
    const row = box.locator('tr', { has: page.locator('code', { hasText: /^x509\/validity\/expired$/ }) }).filter({ has: page.locator('td', { hasText: /^gRPC$/ }) });
    assert.ok(await onScreen(row), 'its line for x509/validity/expired on gRPC is on screen');
    assert.match(await row.innerText(), /FAIL\s+x509\/validity\/expired\s+gRPC\s+the target accepted a connection it must refuse/);
    await page.close();
  });

  it('names the root cause above the failures, with the evidence, and the fix one click away', async () => {
    const page = await open('index.html');
    const diagnosis = page.locator('#diagnosis');
    const cause = diagnosis.locator('li', { hasText: 'the server verifies the chain but likely not the validity dates' });
    assert.ok(await onScreen(cause), 'the cause is on screen');
    assert.match(await cause.innerText(), /Evidence: it refused certificates from CAs it does not trust, yet accepted ones outside their validity period: x509\/validity\/expired/);
    const envoy = cause.locator('dd', { hasText: 'allow_expired_certificate: false' });
    assert.ok(!(await envoy.isVisible()), 'the hints are folded');
    await cause.getByText(/How to fix it/).click();
    assert.ok(await envoy.isVisible(), 'and shown on a click');
    await page.close();
  });

  it('marks the failed cell in the matrix, and a click on it opens the evidence: expected vs observed', async (t) => {
    const page = await open('index.html');
    const cell = matrixCell(page, 'x509/validity/expired', 'grpc');
    assert.ok(await cell.isVisible(), 'the cell is shown');
    assert.equal((await cell.innerText()).trim(), 'FAIL', 'the state is written, not only coloured');
    assert.equal(await backgroundOf(cell.locator('xpath=..')), 'rgb(207, 34, 46)', 'and coloured red');

    await cell.click();
    const evidence = page.locator(`#${evidenceAnchor('x509/validity/expired', 'grpc')}`);
    assert.notEqual(await evidence.getAttribute('open'), null, 'the evidence is open');
    assert.ok(await onScreen(evidence.locator(':scope > summary')), 'and scrolled to');
    const text = await evidence.innerText();
    assert.match(text, /Expected: rejected \(certificate_expired or bad_certificate\); observed: accepted: gRPC OK/);
    assert.match(text, /Not after|validity/i, 'the client certificate is summarised');
    await screenshot(page, 'index-evidence.png', t.diagnostic.bind(t));
    await page.close();
  });

  it('a refusal’s evidence, closed at first, shows the TLS alert once opened', async () => {
    const page = await open('index.html');
    const noCert = page.locator(`#${evidenceAnchor('tls/no-client-cert', 'grpc')}`);
    assert.equal(await noCert.getAttribute('open'), null, 'closed until asked for');
    assert.ok(!(await noCert.getByText('certificate_required').first().isVisible()), 'its details are hidden');
    await matrixCell(page, 'tls/no-client-cert', 'grpc').click();
    assert.ok(await noCert.getByText(/expected certificate_required/).first().isVisible(), 'the alert the RFC asks for is shown');

    // A refusal that passed with the very alert the RFC names shows the alert observed on the wire.
    const tls12 = page.locator(`#${evidenceAnchor('tls/version/tls12', 'grpc')}`);
    await matrixCell(page, 'tls/version/tls12', 'grpc').click();
    assert.ok(await tls12.locator('dd', { hasText: /^protocol_version \(70\)$/ }).isVisible(), 'the observed alert, name and code');
    await page.close();
  });

  it("cucumber's own report renders and shows the failed scenario", async (t) => {
    const page = await open('conformance.html');
    // A React app: nothing is there until it has rendered the message stream.
    const failure = page.getByText(/x509\/validity\/expired: the target accepted a connection it must refuse \(gRPC OK/).first();
    await failure.waitFor({ state: 'visible', timeout: 15_000 });
    await failure.scrollIntoViewIfNeeded();
    assert.ok(await onScreen(failure));
    await screenshot(page, 'scenario-page.png', t.diagnostic.bind(t));
    await page.close();
  });
});
