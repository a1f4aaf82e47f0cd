// The editors in a real browser: the test page (browser/page, built by run.mjs) in Debian's
// Chromium, its resource calls answered by the recorded answers of the plugin's handlers.
// What is checked is what a user sees: texts, fields, options; screenshots go to src/img/screenshots.
import fs from 'fs';
import path from 'path';
import type { Browser, Page } from 'playwright-core';

import { CHROMIUM, collectErrors, hasChromium, launch } from './chromium';
import { FIXTURES, PageServer, startServer } from './server';

const SCREENSHOTS = path.resolve(__dirname, '..', 'src', 'img', 'screenshots');
const describeIfChromium = hasChromium() ? describe : describe.skip;
if (!hasChromium()) {
  console.warn(`browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);
}

const yaml = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');

describeIfChromium('editors in Chromium', () => {
  let browser: Browser;
  let server: PageServer;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    server = await startServer();
    browser = await launch();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function open(hash: string) {
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    errors = collectErrors(page);
    await page.goto(`${server.url}/#${hash}`);
  }

  afterEach(async () => {
    await page?.close();
    expect(errors).toEqual([]);
  });

  /**
   * Replaces the inline definitions with text, pasted into the code editor as a user would
   * (typed line by line, the editor would indent each new line like the one before).
   */
  async function pasteDefinitions(text: string) {
    const editor = page.locator('.monaco-editor').first();
    await editor.waitFor();
    await editor.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await page.evaluate((t) => navigator.clipboard.writeText(t), text);
    await page.keyboard.press('Control+V');
  }

  it('validates pasted YAML and shows what the backend found', async () => {
    await open('config');
    await page.getByText('SLO definitions', { exact: true }).waitFor();
    expect(await page.getByRole('heading', { name: 'Connection' }).isVisible()).toBe(true);
    expect(await page.getByText('/etc/nines/slos', { exact: true }).isVisible()).toBe(true);

    await pasteDefinitions(yaml('validate-good.yaml'));
    await page.getByRole('button', { name: 'Validate' }).click();
    const ok = page.getByText('Valid: 2 SLOs');
    // The editor posts what it shows, and the answer recorded for it is shown.
    const posted = () => server.calls.filter((c) => c.method === 'POST' && c.path === 'validate').map((c) => c.body);
    await page.waitForFunction(
      () => document.body.innerText.includes('Valid') || document.body.innerText.includes('failed')
    );
    expect(posted()).toEqual([{ yaml: yaml('validate-good.yaml'), name: 'inline' }]);
    await ok.waitFor();
    expect(await page.getByText('checkout-availability, checkout-latency').isVisible()).toBe(true);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'config-editor.png'), fullPage: true });

    await pasteDefinitions(yaml('validate-bad.yaml'));
    await page.getByRole('button', { name: 'Validate' }).click();
    await page.getByText('2 errors in the inline definitions').waitFor();
    const list = page.getByRole('list', { name: 'Validation errors' });
    const items = await list.getByRole('listitem').allInnerTexts();
    expect(items).toHaveLength(2);
    expect(items[0]).toMatch(/line 12.*checkout-latency.*objective 100 must be strictly between 0 and 100/);
    expect(items[1]).toMatch(/line 16.*checkout-latency.*invalid PromQL/);
    expect(await page.getByText('Loaded anyway: checkout-availability').isVisible()).toBe(true);
    expect(await ok.count()).toBe(0);
  });

  it('switches query types and shows the options of each', async () => {
    await open('query');
    const description = page.getByTestId('nines-query-type-description');
    await description.waitFor();
    expect(await description.innerText()).toMatch(/one row per SLO/);
    expect(await page.getByLabel('Window', { exact: true }).count()).toBe(0);

    // Pick a query type and wait, as a user does, until the editor shows what that type
    // says of itself: the options below render with it.
    const pickType = async (label: string, says: RegExp) => {
      await page.locator('#nines-query-type').click();
      await page.getByRole('option', { name: new RegExp(`^${label}`) }).click();
      await description.filter({ hasText: says }).waitFor();
    };

    await pickType('History', /past windows/);
    expect(await description.innerText()).toMatch(/past windows/);
    for (const label of ['Periods', 'Share', 'Time zone', 'Window']) {
      expect(await page.getByLabel(label, { exact: true }).isVisible()).toBe(true);
    }
    expect(await page.getByLabel('Signal', { exact: true }).count()).toBe(0);

    await pickType('Happiness', /unhappy users/);
    expect(await description.innerText()).toMatch(/unhappy users/);
    for (const label of ['Signal', 'Interval', 'Max lag']) {
      expect(await page.getByLabel(label, { exact: true }).isVisible()).toBe(true);
    }
    expect(await page.getByLabel('Periods', { exact: true }).count()).toBe(0);

    await pickType('SLI', /Time series of the SLI/);
    await page.getByLabel('Window', { exact: true }).waitFor();
    expect(await page.getByLabel('Window', { exact: true }).isVisible()).toBe(true);
    expect(await page.getByLabel('Signal', { exact: true }).count()).toBe(0);
  });

  it('picks SLOs from GET slos and shows their PromQL', async () => {
    await open('query');
    await page.locator('#nines-slo').click();
    const options = page.getByRole('option');
    await options.first().waitFor();
    const names = await options.allInnerTexts();
    const listed = ['checkout-availability', 'checkout-latency', 'search-availability'];
    for (const name of listed) {
      expect(names.some((n) => n.startsWith(name))).toBe(true);
    }
    expect(names.join('\n')).toContain('Checkout availability · checkout · 99.9% over 28d');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'query-editor.png'), fullPage: true });

    await page.getByRole('option', { name: /^search-availability/ }).click();
    expect(await page.locator('#nines-slo').inputValue()).toBe('search-availability');
    await page.getByText('PromQL', { exact: true }).click();
    const sli = page.getByLabel('SLI over the window');
    await sli.waitFor();
    expect(await sli.innerText()).toContain('increase(search_requests_total{job="search"}[1w])');
    expect(server.calls.some((c) => c.path === 'slos/search-availability')).toBe(true);
  });

  it('lists SLOs, services or owners in the variable editor', async () => {
    await open('variable');
    await page.getByText('List', { exact: true }).waitFor();
    await page.getByRole('radio', { name: 'Services' }).click();
    const preview = page.getByRole('region', { name: 'Preview of values' });
    await preview.getByText('search', { exact: true }).waitFor(); // the values come from GET slos
    expect(await preview.getByRole('listitem').allInnerTexts()).toEqual(['checkout', 'search']);
    await page.getByRole('radio', { name: 'Owners' }).click();
    await page.getByText('team-search', { exact: true }).waitFor();
    expect(await preview.getByRole('listitem').allInnerTexts()).toEqual(['team-payments', 'team-search']);

    await page.getByRole('radio', { name: 'SLOs' }).click();
    await page.getByText('checkout-latency', { exact: true }).waitFor();
    await page.getByLabel('Service filter').fill('search');
    await page.keyboard.press('Tab');
    await page.getByText('checkout-latency', { exact: true }).waitFor({ state: 'detached' });
    expect(await preview.getByRole('listitem').allInnerTexts()).toEqual(['search-availability']);
    expect(server.calls.some((c) => c.path === 'slos?service=search')).toBe(true);
  });
});
