// The msb pages of the Felix Web Console driven in Debian's headless chromium as a user would (e2e WebConsoleIT):
// log in, create a sandbox through the form, see it running, open its detail, stop and remove it; see a hostile
// label as text; a bad image shown as a field error; a volume created and removed. Prints ok/FAIL lines.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const { CONSOLE_URL, CONSOLE_USER, CONSOLE_PASSWORD, SHOTS, SANDBOX, HOSTILE, PULL_REF } = process.env;
const problems = [];
let failed = false;

function check(what, condition, detail) {
  console.log((condition ? 'ok   ' : 'FAIL ') + what + (condition || detail === undefined ? '' : ': ' + detail));
  if (!condition) { failed = true; }
}

const profile = mkdtempSync(join(tmpdir(), 'msb-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  httpCredentials: { username: CONSOLE_USER, password: CONSOLE_PASSWORD },
  viewport: { width: 1400, height: 900 },
});
context.setDefaultTimeout(60000);
const page = context.pages()[0] || await context.newPage();
page.on('dialog', d => { problems.push('dialog: ' + d.message()); d.dismiss(); });
page.on('pageerror', e => problems.push('page error: ' + e.message));
page.on('console', m => { if (m.type() === 'error') { problems.push('console error: ' + m.text()); } });
const base = CONSOLE_URL + '/system/console';

// Waits until the text of selector's element contains what is wanted, across the page's own reloads.
async function untilText(selector, wanted, timeoutMs) {
  const end = Date.now() + timeoutMs;
  let text = '';
  while (Date.now() < end) {
    try {
      text = await page.locator(selector).innerText({ timeout: 2000 });
      if (text.includes(wanted)) { return text; }
    } catch (e) { /* between two pages */ }
    await new Promise(r => setTimeout(r, 500));
  }
  throw new Error(selector + ' never showed ' + wanted + ': ' + text);
}
const row = name => page.locator('table.msb-sandboxes tr.msb-row').filter({ has: page.locator('a.msb-name', { hasText: name }) });

try {
  const first = await page.goto(base + '/msb');
  check('the Sandboxes page answers 200 after the console login', first.status() === 200, first.status());
  check('it is a console page titled Sandboxes', (await page.title()).includes('Sandboxes'), await page.title());
  check('the console navigation lists Images and Volumes',
    await page.locator('a[href$="/msb-images"]').count() > 0 && await page.locator('a[href$="/msb-volumes"]').count() > 0);

  // a bad image: the page names the field, no stack trace, and keeps what was typed
  await page.fill('#msb-name', 'wc-bad');
  await page.fill('#msb-image', 'Not A::Valid');
  await Promise.all([page.waitForURL(/flash=/), page.click('button.msb-create-submit')]);
  const error = await page.locator('.msb-error').innerText();
  check('a bad image is shown with its field', error.startsWith('image:') && error.includes('not a valid image reference'), error);
  check('without a stack trace', !error.includes('Exception') && !error.includes('\tat '), error);
  check('the form keeps the name typed', await page.inputValue('#msb-name') === 'wc-bad');

  // create through the form
  await page.fill('#msb-name', SANDBOX);
  await page.fill('#msb-image', 'builtin:busybox');
  await page.fill('#msb-memory', '256');
  await page.fill('#msb-labels', 'team=console\nowner=e2e');
  const t0 = Date.now();
  await Promise.all([page.waitForURL(/flash=/), page.click('button.msb-create-submit')]);
  const created = await page.locator('.msb-msg').innerText();
  check('the create form made ' + SANDBOX + ' (' + (Date.now() - t0) + ' ms)', created.includes('Created sandbox ' + SANDBOX), created);
  check(SANDBOX + ' is listed as RUNNING', (await row(SANDBOX).locator('.msb-status').innerText()) === 'RUNNING',
    await row(SANDBOX).innerText());
  check('with its labels', (await row(SANDBOX).innerText()).includes('team=console'));

  // the hostile labels, planted through the API, are text
  const hostile = row(HOSTILE);
  const labels = await hostile.locator('.msb-label').allTextContents();
  check('the <script> label shows as text', labels.includes('xss=<script>alert(1)</script>'), JSON.stringify(labels));
  check('the "><img> label shows as text', labels.includes('attr="><img src=x onerror=alert(2)>'), JSON.stringify(labels));
  check('no element came from the labels', await page.locator('table.msb-sandboxes img, table.msb-sandboxes script').count() === 0);
  await page.waitForTimeout(3500); // one live refresh of the listing
  check('the live refresh keeps the status', (await row(SANDBOX).locator('.msb-status').innerText()) === 'RUNNING');
  await page.screenshot({ path: join(SHOTS, 'webconsole-sandboxes.png'), fullPage: true });

  // detail
  await Promise.all([page.waitForURL(/name=/), row(SANDBOX).locator('a.msb-name').click()]);
  check('the detail names the sandbox', (await page.locator('.msb-detail-name').innerText()) === SANDBOX);
  const spec = await page.locator('table.msb-spec').innerText();
  check('the detail shows the spec', spec.includes('builtin:busybox') && spec.includes('256 MiB'), spec);
  check('and the run', (await page.locator('table.msb-runs').innerText()).includes('(running)'));
  await page.waitForFunction(() => {
    const td = document.querySelector('td[data-metric="CPU"]');
    return td && td.textContent.endsWith('%');
  }, null, { timeout: 15000 });
  check('live metrics show CPU %', true);
  check('and guest memory', (await page.locator('td[data-metric="Guest memory used"]').innerText()).includes('MiB'));
  check('the logs are shown', await page.locator('pre.msb-logs').count() === 1);
  await page.screenshot({ path: join(SHOTS, 'webconsole-detail.png'), fullPage: true });

  // stop, then remove
  await Promise.all([page.waitForURL(/flash=/), page.locator('.msb-actions button.msb-stop').click()]);
  const stopped = await page.locator('h3 .msb-status').innerText();
  check('Stop stops it', stopped === 'STOPPED', stopped);
  check('the run ended with a reason', /SHUTDOWN_REQUESTED|SIGNAL|COMPLETED/.test(await page.locator('table.msb-runs').innerText()),
    await page.locator('table.msb-runs').innerText());
  await Promise.all([page.waitForURL(/flash=/), page.locator('.msb-actions button.msb-remove').click()]);
  check('Remove removes it', (await page.locator('.msb-msg').innerText()).includes('Removed sandbox ' + SANDBOX));
  check('it is no longer listed', await row(SANDBOX).count() === 0);

  // images and volumes
  await page.goto(base + '/msb-images');
  check('the Images page lists images', await page.locator('table.msb-images').count() === 1);
  // a pull runs in the background; the page follows it and shows how it ended (nothing listens on port 9)
  await page.fill('form.msb-pull input[name=reference]', '127.0.0.1:9/none/such:1');
  await Promise.all([page.waitForURL(/flash=/), page.click('form.msb-pull button')]);
  await untilText('table.msb-pulls', 'failed: ', 60000);
  check('a failed pull shows its reason', (await page.locator('table.msb-pulls').innerText()).includes('127.0.0.1:9'));
  if (PULL_REF) {
    // a real pull: the page follows it to the end and then lists the image; Remove and Prune act on it
    await page.fill('form.msb-pull input[name=reference]', PULL_REF);
    await Promise.all([page.waitForURL(/flash=/), page.click('form.msb-pull button')]);
    await untilText('table.msb-images', PULL_REF, 60000);
    const pulls = await page.locator('table.msb-pulls').innerText();
    check('a pull through the page completes', pulls.includes(PULL_REF) && pulls.includes('complete'), pulls);
    check('with its bytes counted', await page.locator('table.msb-pulls progress').first().getAttribute('value') === '100');
    await page.screenshot({ path: join(SHOTS, 'webconsole-images.png'), fullPage: true });
    const pulled = page.locator('table.msb-images tr', { hasText: PULL_REF });
    await Promise.all([page.waitForURL(/flash=/), pulled.locator('button.msb-remove').click()]);
    check('Remove removes the image', await page.locator('table.msb-images tr', { hasText: PULL_REF }).count() === 0);
    await Promise.all([page.waitForURL(/flash=/), page.click('button.msb-prune')]);
    check('Prune reports what it freed', /^Pruned /.test(await page.locator('.msb-msg').innerText()));
  } else {
    await page.screenshot({ path: join(SHOTS, 'webconsole-images.png'), fullPage: true });
  }
  await page.goto(base + '/msb-volumes');
  await page.fill('#msb-name', 'wc-vol');
  await page.fill('#msb-labels', 'note=<b>bold</b>');
  await Promise.all([page.waitForURL(/flash=/), page.click('form.msb-create button[type=submit]')]);
  check('a volume is created through its form', (await page.locator('table.msb-volumes').innerText()).includes('wc-vol'));
  check('its label is text', (await page.locator('table.msb-volumes .msb-label').allTextContents()).includes('note=<b>bold</b>'));
  await Promise.all([page.waitForURL(/flash=/),
    page.locator('table.msb-volumes tr', { hasText: 'wc-vol' }).locator('button.msb-remove').click()]);
  check('and removed', !(await page.locator('table.msb-volumes').innerText()).includes('wc-vol'));
} catch (e) {
  check('the walk through the pages', false, e.stack);
} finally {
  check('no dialog, page error or console error', problems.length === 0, JSON.stringify(problems));
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(failed ? 'FAILED webconsole' : 'PASSED webconsole');
process.exit(failed ? 1 : 0);
