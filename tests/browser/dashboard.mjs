// The dashboard in a real browser: Debian's chromium driven by playwright-core (no browser
// download). Called by crates/cli/tests/dashboard_browser.rs with a running `plasma-ops serve`:
//   node dashboard.mjs BASE_URL PR_PATH XSS_PR_PATH SCREENSHOT_DIR [REPORT_PATH]
// Loads each page at desktop and phone widths, follows pipeline -> pull request, checks that a
// `<script>` title shows as text and runs nothing, that no page overflows a phone's width and
// that no page needs JavaScript (it is disabled), and takes screenshots. Exit 0 when every check
// holds; otherwise prints what failed and exits 1.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const [base, prPath, xssPath, shots, reportPath] = process.argv.slice(2);
if (!base || !prPath || !xssPath || !shots) {
  console.error('usage: node dashboard.mjs BASE_URL PR_PATH XSS_PR_PATH SCREENSHOT_DIR');
  process.exit(2);
}
mkdirSync(shots, { recursive: true });
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const failures = [];
const check = (ok, what) => { if (!ok) failures.push(what); };

const browser = await chromium.launch({
  executablePath,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const sizes = [
    { name: 'desktop', viewport: { width: 1280, height: 900 }, isMobile: false },
    { name: 'phone', viewport: { width: 390, height: 844 }, isMobile: true },
  ];
  for (const size of sizes) {
    // No JavaScript: every page must be readable without it.
    const context = await browser.newContext({
      viewport: size.viewport, isMobile: size.isMobile, javaScriptEnabled: false,
      deviceScaleFactor: 1,
    });
    const page = await context.newPage();
    let dialogs = 0;
    page.on('dialog', async (d) => { dialogs += 1; await d.dismiss(); });
    const overflow = async (what) => {
      // Measured from a second, script-enabled page's view is not needed: Playwright's evaluate
      // runs in its own world even with page scripts disabled.
      const [sw, iw] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
      check(sw <= iw + 1, `${size.name} ${what}: page is ${sw}px wide in a ${iw}px window`);
    };

    // Pipeline.
    const resp = await page.goto(base + '/');
    check(resp && resp.status() === 200, `${size.name} /: status ${resp && resp.status()}`);
    check(await page.locator('h1').first().innerText().then((t) => t.startsWith('Pipeline')), `${size.name} /: no Pipeline heading`);
    for (const group of ['Needs CodeRabbit review', 'Needs fix', 'CodeRabbit approved', 'Ready to merge']) {
      check(await page.locator('summary', { hasText: group }).count() === 1, `${size.name} /: group ${group} missing`);
    }
    const xssLink = page.locator('a.title', { hasText: '<script>alert(1)</script>' });
    check(await xssLink.count() === 1, `${size.name} /: the <script> title is not shown as text`);
    await overflow('/');
    await page.screenshot({ path: join(shots, `pipeline-${size.name}.png`), fullPage: size.name === 'desktop' });

    // Pipeline -> pull request, by its link.
    await page.locator(`a.title[href="${prPath}"]`).click();
    await page.waitForURL(base + prPath);
    check(await page.locator('h2', { hasText: 'Timeline' }).count() === 1, `${size.name} ${prPath}: no timeline`);
    check(await page.locator('h2', { hasText: 'Findings' }).count() === 1, `${size.name} ${prPath}: no findings`);
    check(await page.locator('.delivery code').count() > 0, `${size.name} ${prPath}: no delivery id`);
    await overflow(prPath);
    await page.screenshot({ path: join(shots, `pull-request-${size.name}.png`), fullPage: false });

    // The hostile title: text, and nothing ran.
    await page.goto(base + xssPath);
    const h1 = await page.locator('h1').first().innerText();
    check(h1 === '<script>alert(1)</script>', `${size.name} ${xssPath}: title reads ${JSON.stringify(h1)}`);
    check(await page.locator('main script').count() === 0, `${size.name} ${xssPath}: a script element was created`);

    // Operations.
    const ops = await page.goto(base + '/ops');
    check(ops && ops.status() === 200, `${size.name} /ops: status ${ops && ops.status()}`);
    check(await page.locator('svg.chart').count() === 3, `${size.name} /ops: expected 3 charts`);
    await overflow('/ops');
    await page.screenshot({ path: join(shots, `ops-${size.name}.png`), fullPage: size.name === 'desktop' });

    // The weekly report: its figures, the four DORA keys with a band or "no data", six charts.
    if (reportPath) {
      const rep = await page.goto(base + reportPath);
      check(rep && rep.status() === 200, `${size.name} ${reportPath}: status ${rep && rep.status()}`);
      const title = await page.locator('h1').first().innerText();
      check(title.startsWith('Weekly report 2026-W49'), `${size.name} report: heading reads ${JSON.stringify(title)}`);
      check(await page.locator('svg.chart').count() === 6, `${size.name} report: expected 6 charts`);
      for (const id of ['frequency', 'lead-time', 'change-failure', 'restore']) {
        const key = page.locator(`#dora-${id}`);
        check(await key.count() === 1, `${size.name} report: no DORA key ${id}`);
        const text = await key.innerText();
        check(/elite|high|medium|low|no data/.test(text), `${size.name} report: ${id} has no band: ${text}`);
      }
      const rows = await page.locator('table tr').allInnerTexts();
      check(rows.some((r) => /^Merged\s+\d+\s+\d+/.test(r)), `${size.name} report: no merged row in ${JSON.stringify(rows)}`);
      await overflow(reportPath);
      await page.screenshot({ path: join(shots, `weekly-report-${size.name}.png`), fullPage: true });
    }

    // The same pages with JavaScript on: a script in a title must still not run.
    const js = await browser.newContext({ viewport: size.viewport, isMobile: size.isMobile });
    const jsPage = await js.newPage();
    jsPage.on('dialog', async (d) => { dialogs += 1; await d.dismiss(); });
    await jsPage.goto(base + '/');
    await jsPage.goto(base + xssPath);
    await js.close();
    check(dialogs === 0, `${size.name}: ${dialogs} dialog(s) opened: a title ran as script`);
    await context.close();
  }
} finally {
  await browser.close();
}
if (failures.length) {
  console.error(failures.join('\n'));
  process.exit(1);
}
console.log(JSON.stringify({ ok: true, screenshots: shots }));
