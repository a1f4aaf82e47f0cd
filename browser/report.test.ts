// The HTML report (`nines report --demo --format html`) in Debian's Chromium: no console or
// page errors, every chart draws the points it says it has, and every figure that is also in
// `--format json` shows that value. The page's contract (pkg/reportpage):
//   - every chart is <svg class="chart" role="img" aria-label="…" data-points="N">;
//   - a figure of the JSON report carries data-json (an RFC 6901 pointer) and data-value;
//   - each SLO is <section class="slo" data-slo="NAME">.
import { execFileSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import type { Browser, Page } from 'playwright-core';

import { CHROMIUM, collectErrors, hasChromium, launch } from './chromium';

const ROOT = path.resolve(__dirname, '..');
const SCREENSHOT = path.join(ROOT, 'src', 'img', 'screenshots', 'report.png');
const describeIfChromium = hasChromium() ? describe : describe.skip;
if (!hasChromium()) {
  console.warn(`browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);
}

/** The value an RFC 6901 pointer names in doc, or undefined when there is none. */
export function resolvePointer(doc: unknown, pointer: string): unknown {
  if (pointer === '') {
    return doc;
  }
  if (!pointer.startsWith('/')) {
    return undefined;
  }
  let cur: unknown = doc;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, key)) {
      return undefined;
    }
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** Why data-value does not show the JSON value, or '' when it does (numbers within 1e-9). */
export function mismatch(json: unknown, shown: string): string {
  if (json === undefined) {
    return 'not in the JSON report';
  }
  if (typeof json === 'number') {
    const v = Number(shown);
    return shown.trim() !== '' && Math.abs(v - json) <= 1e-9 * Math.max(1, Math.abs(json)) ? '' : `JSON has ${json}`;
  }
  const want = json === null ? 'null' : typeof json === 'string' ? json : JSON.stringify(json);
  return shown === want ? '' : `JSON has ${JSON.stringify(json)}`;
}

describe('report figures against JSON', () => {
  const doc = { slos: [{ name: 'a~b/c', sli: 0.1 + 0.2, ok: true, none: null }] };
  it.each([
    ['/slos/0/name', 'a~b/c', ''],
    ['/slos/0/sli', '0.3', ''],
    ['/slos/0/sli', '0.31', 'JSON has 0.30000000000000004'],
    ['/slos/0/ok', 'true', ''],
    ['/slos/0/none', 'null', ''],
    ['/slos/1/name', 'x', 'not in the JSON report'],
    ['/slos/0/sli', '', 'JSON has 0.30000000000000004'],
  ])('%s shown as %j', (ptr, shown, want) => {
    expect(mismatch(resolvePointer(doc, ptr), shown)).toBe(want);
  });
  it('unescapes ~1 and ~0', () => {
    expect(resolvePointer({ 'a/b': { '~c': 1 } }, '/a~1b/~0c')).toBe(1);
  });
});

describeIfChromium('HTML report in Chromium', () => {
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let json: unknown;
  let dir: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nines-report-'));
    const bin = path.join(dir, 'nines');
    execFileSync('go', ['build', '-o', bin, './pkg/cmd/nines'], { cwd: ROOT, stdio: 'inherit' });
    const html = path.join(dir, 'report.html');
    // stderr carries the report's progress lines; a failure shows it in the thrown error.
    const quiet = { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] as const };
    execFileSync(bin, ['report', '--demo', '--format', 'html', '--out', html], { ...quiet, stdio: [...quiet.stdio] });
    json = JSON.parse(
      execFileSync(bin, ['report', '--demo', '--format', 'json'], { ...quiet, stdio: [...quiet.stdio] }).toString()
    );
    browser = await launch();
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    errors = collectErrors(page);
    await page.goto(`file://${html}`);
  });

  afterAll(async () => {
    await browser?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('opens without console or page errors', async () => {
    expect(await page.title()).not.toBe('');
    expect(errors).toEqual([]);
  });

  it('has a section for each SLO of the JSON report', async () => {
    const sections = await page.locator('section.slo').evaluateAll((els) => els.map((e) => e.getAttribute('data-slo')));
    const names = (json as { slos: Array<{ name: string }> }).slos.map((s) => s.name);
    expect(sections).toEqual(names);
  });

  it('draws every chart with the points it says it has', async () => {
    const charts = await page.locator('svg.chart').evaluateAll((svgs) =>
      svgs.map((svg) => {
        const box = svg.getBoundingClientRect();
        // Drawn data: the vertices of the series lines, the dots and the bars.
        let drawn = 0;
        let visible = 0;
        const marks = svg.querySelectorAll('path.series, circle, g.bars rect');
        marks.forEach((m) => {
          const b = (m as SVGGraphicsElement).getBBox();
          if (b.width > 0 || b.height > 0) {
            visible++;
          }
          drawn += m.tagName === 'path' ? ((m.getAttribute('d') ?? '').match(/[ML]/g)?.length ?? 0) : 1;
        });
        return {
          label: svg.getAttribute('aria-label') ?? '',
          points: Number(svg.getAttribute('data-points')),
          drawn,
          marks: marks.length,
          visible,
          shown: box.width > 0 && box.height > 0 && getComputedStyle(svg).visibility !== 'hidden',
        };
      })
    );
    expect(charts.length).toBeGreaterThan(0);
    for (const c of charts) {
      expect({ ...c, ok: c.points > 0 && c.drawn === c.points && c.visible > 0 && c.shown }).toMatchObject({
        label: c.label,
        ok: true,
      });
    }
  });

  it('shows every figure with its value in the JSON report', async () => {
    const figures = await page.locator('[data-json]').evaluateAll((els) =>
      els.map((e) => {
        const box = e.getBoundingClientRect();
        return {
          pointer: e.getAttribute('data-json') ?? '',
          value: e.getAttribute('data-value') ?? '',
          text: (e as HTMLElement).innerText,
          visible: box.width > 0 && box.height > 0 && (e as HTMLElement).innerText.trim() !== '',
        };
      })
    );
    expect(figures.length).toBeGreaterThan(0);
    const wrong = figures
      .map((f) => ({
        ...f,
        why: mismatch(resolvePointer(json, f.pointer), f.value) || (f.visible ? '' : 'not visible'),
      }))
      .filter((f) => f.why !== '');
    expect(wrong).toEqual([]);
  });

  it('saves a screenshot of the whole page', async () => {
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(fs.statSync(SCREENSHOT).size).toBeGreaterThan(10000);
  });
});
