/**
 * Checks the files Grafana provisions: the dashboards only use the query types and
 * name SLOs that exist in provisioning/slos, and the data source points at those files.
 */
import fs from 'fs';
import path from 'path';
import { parse, parseAllDocuments } from 'yaml';
import { defaultDashboard } from '@grafana/schema';

import { isSLOName, isTemplateVariable } from '../interpolate';
import { QUERY_TYPE_VALUES } from '../types';

const ROOT = path.resolve(__dirname, '..', '..');
const PROVISIONING = path.join(ROOT, 'provisioning');

function files(dir: string, ext: RegExp): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => ext.test(f))
    .map((f) => path.join(dir, f))
    .sort();
}

interface SLODef {
  name: string;
  file: string;
  userStory?: string;
  format: 'native' | 'openslo';
}

/** Native `slos[].name` and OpenSLO `kind: SLO` metadata.name, with their user stories. */
function loadSLOs(): SLODef[] {
  const out: SLODef[] = [];
  for (const file of files(path.join(PROVISIONING, 'slos'), /\.ya?ml$/)) {
    for (const doc of parseAllDocuments(fs.readFileSync(file, 'utf8'))) {
      expect(doc.errors).toEqual([]);
      const d = doc.toJS();
      if (!d) {
        continue;
      }
      if (typeof d.apiVersion === 'string' && d.apiVersion.startsWith('openslo/')) {
        if (d.kind === 'SLO') {
          out.push({
            name: d.metadata?.name,
            file,
            userStory: d.metadata?.annotations?.['nines/user-story'],
            format: 'openslo',
          });
        }
      } else {
        for (const s of d.slos ?? []) {
          out.push({ name: s.name, file, userStory: s.userStory, format: 'native' });
        }
      }
    }
  }
  return out;
}

interface Target {
  refId: string;
  queryType?: string;
  slo?: string;
  datasource?: { type?: string; uid?: string };
}

interface Panel {
  id: number;
  title: string;
  type: string;
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  panels?: Panel[];
}

function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

const slos = loadSLOs();
const sloNames = new Set(slos.map((s) => s.name));
const dashboards = files(path.join(PROVISIONING, 'dashboards'), /\.json$/).map((file) => ({
  file,
  json: JSON.parse(fs.readFileSync(file, 'utf8')),
}));

describe('provisioning/slos', () => {
  it('holds native and OpenSLO examples, each SLO with a user story and a unique valid name', () => {
    expect(slos.map((s) => s.name).sort()).toEqual([
      'checkout-availability',
      'checkout-latency',
      'search-availability',
    ]);
    expect(new Set(slos.map((s) => s.format))).toEqual(new Set(['native', 'openslo']));
    expect(sloNames.size).toBe(slos.length);
    for (const s of slos) {
      expect(isSLOName(s.name)).toBe(true);
      expect(s.userStory).toMatch(/^As an? .+, I want .+/);
    }
  });

  it('uses the metrics the demo generator produces', () => {
    const checkout = parse(fs.readFileSync(path.join(PROVISIONING, 'slos', 'checkout.yaml'), 'utf8'));
    const availability = checkout.slos.find((s: { name: string }) => s.name === 'checkout-availability');
    expect(availability).toMatchObject({ objective: 99.9, window: '28d' });
    expect(availability.indicator.ratio.total).toBe('http_requests_total{job="checkout"}');
    expect(availability.happiness[0].counter).toBe('support_tickets_total{product="checkout"}');
    const latency = checkout.slos.find((s: { name: string }) => s.name === 'checkout-latency');
    expect(latency.indicator.latency).toEqual({
      histogram: 'http_request_duration_seconds{job="checkout"}',
      threshold: 0.5,
    });
    expect([0.1, 0.25, 0.5, 1]).toContain(latency.indicator.latency.threshold);

    const text = fs.readFileSync(path.join(PROVISIONING, 'slos', 'search-openslo.yaml'), 'utf8');
    expect(text).toContain('search_errors_total{job="search"}');
    expect(text).toContain('search_requests_total{job="search"}');
  });
});

describe('provisioning/datasources', () => {
  const nines = parse(fs.readFileSync(path.join(PROVISIONING, 'datasources', 'nines.yaml'), 'utf8'));
  const ds = nines.datasources[0];

  it('provisions Nines with uid nines, the demo Prometheus and the SLO folder', () => {
    expect(ds).toMatchObject({ type: 'nines-slo-datasource', uid: 'nines', url: 'http://prometheus:9090' });
    expect(ds.jsonData.definitionPaths).toEqual(['/etc/nines/slos']);
  });

  it('sets only jsonData fields the backend reads', () => {
    const known = [
      'timeout',
      'maxConcurrency',
      'definitionPaths',
      'definitions',
      'cacheEntries',
      'cacheMB',
      'maxQueryLength',
      'rangeSemantics',
      'timeInterval',
      'maxGap',
      'rawReads',
    ];
    for (const key of Object.keys(ds.jsonData)) {
      expect(known).toContain(key);
    }
  });

  it('provisions Prometheus too', () => {
    const prom = parse(fs.readFileSync(path.join(PROVISIONING, 'datasources', 'prometheus.yaml'), 'utf8'));
    expect(prom.datasources[0]).toMatchObject({ type: 'prometheus', url: 'http://prometheus:9090' });
  });

  it('has a dashboards provider reading the mounted folder', () => {
    const provider = parse(fs.readFileSync(path.join(PROVISIONING, 'dashboards', 'dashboards.yaml'), 'utf8'));
    expect(provider.providers[0].options.path).toBe('/etc/grafana/provisioning/dashboards');
  });
});

describe('provisioning/dashboards', () => {
  it('has the overview and the detail dashboards', () => {
    expect(dashboards.map((d) => d.json.title).sort()).toEqual(['SLO detail', 'SLO overview']);
  });

  it.each(dashboards.map((d) => [path.basename(d.file), d.json]))(
    '%s has the schema of the Grafana it is built for',
    (_, json) => {
      // Generated by pkg/dashboards with the Foundation SDK; not newer than @grafana/schema knows.
      expect(json.schemaVersion).toBeGreaterThanOrEqual(39);
      expect(json.schemaVersion).toBeLessThanOrEqual(defaultDashboard.schemaVersion!);
      expect(typeof json.uid).toBe('string');
      const ids = allPanels(json.panels).map((p) => p.id);
      expect(new Set(ids).size).toBe(ids.length);
    }
  );

  it.each(dashboards.map((d) => [path.basename(d.file), d.json]))(
    '%s: every target has a known query type and names existing SLOs',
    (_, json) => {
      const variables: Array<{ name: string; type: string; query?: { kind?: string }; current?: { value?: unknown } }> =
        json.templating?.list ?? [];
      const varNames = new Set(variables.map((v) => v.name));
      const panels = allPanels(json.panels).filter((p) => p.type !== 'row');
      expect(panels.length).toBeGreaterThan(0);
      for (const p of panels) {
        expect(p.targets?.length).toBeGreaterThan(0);
        for (const t of p.targets ?? []) {
          const where = `${json.title} / ${p.title} / ${t.refId}`;
          expect([where, QUERY_TYPE_VALUES.includes(t.queryType as never)]).toEqual([where, true]);
          expect([where, (t.datasource ?? p.datasource)?.uid]).toEqual([where, 'nines']);
          if (t.slo && isTemplateVariable(t.slo)) {
            const name = t.slo.replace(/^\$\{?(\w+).*$/, '$1');
            expect([where, varNames.has(name)]).toEqual([where, true]);
          } else if (t.slo && isSLOName(t.slo)) {
            expect([where, t.slo, sloNames.has(t.slo)]).toEqual([where, t.slo, true]);
          }
        }
      }
      for (const v of variables) {
        if (v.query?.kind === 'slos' && typeof v.current?.value === 'string' && isSLOName(v.current.value)) {
          expect(sloNames.has(v.current.value)).toBe(true);
        }
      }
    }
  );

  it('the overview shows status, budget, burn rate and history; the detail is driven by $slo', () => {
    const types = (title: string) =>
      new Set(
        allPanels(dashboards.find((d) => d.json.title === title)!.json.panels).flatMap((p) =>
          (p.targets ?? []).map((t) => t.queryType)
        )
      );
    expect(types('SLO overview')).toEqual(new Set(['status', 'budget', 'burnRate', 'history']));
    expect(types('SLO detail')).toEqual(new Set(['sli', 'budget', 'burnRate', 'history', 'happiness', 'catalog']));
    const detail = dashboards.find((d) => d.json.title === 'SLO detail')!.json;
    for (const p of allPanels(detail.panels)) {
      for (const t of p.targets ?? []) {
        expect(t.slo).toBe('$slo');
      }
    }
  });
});
