import { DataSourceInstanceSettings, PluginMetaInfo, PluginType } from '@grafana/data';

import { DataSource } from '../datasource';
import { interpolateQuery, isSLOName, isTemplateVariable, regexEscape, regexFormatter } from '../interpolate';
import { NinesOptions, NinesQuery } from '../types';
import { variableValues } from '../variables';
import { fakeTemplateSrv } from '../testutils/fakeTemplateSrv';

const templateSrv = fakeTemplateSrv({
  slo: ['checkout-availability', 'search-availability'],
  one: 'checkout-latency',
  nasty: `a.b*c"d'e(f)|g$`,
  nastyMulti: [`x"y`, `p.q`, `(r)`],
  service: 'checkout',
  tier: '1',
});

jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getTemplateSrv: () => templateSrv,
}));

function settings(): DataSourceInstanceSettings<NinesOptions> {
  return {
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- required by the type
    id: 1,
    uid: 'nines',
    type: 'nines-slo-datasource',
    name: 'Nines SLO',
    access: 'proxy',
    readOnly: false,
    jsonData: {},
    meta: {
      id: 'nines-slo-datasource',
      name: 'Nines SLO',
      type: PluginType.datasource,
      info: {} as PluginMetaInfo,
      module: '',
      baseUrl: '',
    },
  };
}

/** The backend compiles `slo` as ^(?:value)$ unless it is a plain name: the same in JS for these. */
function backendMatches(pattern: string, name: string): boolean {
  if (isSLOName(pattern)) {
    return pattern === name;
  }
  return new RegExp(`^(?:${pattern})$`).test(name);
}

describe('regexEscape and regexFormatter', () => {
  it('escapes every regex metacharacter, keeps quotes and hyphens', () => {
    expect(regexEscape(`a.b*c"d'e(f)|g$`)).toBe(`a\\.b\\*c"d'e\\(f\\)\\|g\\$`);
    expect(regexEscape('checkout-availability')).toBe('checkout-availability');
    expect(regexEscape('[x]{1}^+?\\')).toBe('\\[x\\]\\{1\\}\\^\\+\\?\\\\');
  });

  it('keeps a single value as a plain (escaped) string and joins several as (a|b)', () => {
    expect(regexFormatter('checkout-availability')).toBe('checkout-availability');
    expect(regexFormatter(['checkout-availability'])).toBe('checkout-availability');
    expect(regexFormatter(['a', 'b.c'])).toBe('(a|b\\.c)');
    expect(regexFormatter([])).toBe('');
  });
});

describe('DataSource.applyTemplateVariables', () => {
  const ds = new DataSource(settings());

  it('defaults the query type to status', () => {
    expect(ds.applyTemplateVariables({ refId: 'A' }, {}).queryType).toBe('status');
    expect(ds.getDefaultQuery('dashboard' as never)).toEqual({ queryType: 'status' });
  });

  it('joins a multi-value slo variable into a regex alternation', () => {
    const q = ds.applyTemplateVariables({ refId: 'A', queryType: 'sli', slo: '$slo' }, {});
    expect(q.slo).toBe('(checkout-availability|search-availability)');
    expect(backendMatches(q.slo!, 'checkout-availability')).toBe(true);
    expect(backendMatches(q.slo!, 'search-availability')).toBe(true);
    expect(backendMatches(q.slo!, 'checkout-latency')).toBe(false);
  });

  it('leaves a single value a literal name', () => {
    const q = ds.applyTemplateVariables({ refId: 'A', slo: '${one}' }, {});
    expect(q.slo).toBe('checkout-latency');
    expect(isSLOName(q.slo)).toBe(true);
  });

  it('escapes regex metacharacters and quotes so the value matches only itself', () => {
    const nasty = `a.b*c"d'e(f)|g$`;
    const q = ds.applyTemplateVariables({ refId: 'A', slo: '$nasty' }, {});
    expect(q.slo).toBe(`a\\.b\\*c"d'e\\(f\\)\\|g\\$`);
    expect(backendMatches(q.slo!, nasty)).toBe(true);
    expect(backendMatches(q.slo!, 'aXb*c"d\'e(f)|g$')).toBe(false);
    expect(backendMatches(q.slo!, 'g')).toBe(false);
    // It travels as JSON: quotes are escaped by the encoding, not pasted anywhere.
    expect(JSON.parse(JSON.stringify(q)).slo).toBe(q.slo);

    const multi = ds.applyTemplateVariables({ refId: 'A', slo: '$nastyMulti' }, {});
    expect(multi.slo).toBe(`(x"y|p\\.q|\\(r\\))`);
    for (const v of [`x"y`, `p.q`, `(r)`]) {
      expect(backendMatches(multi.slo!, v)).toBe(true);
    }
    expect(backendMatches(multi.slo!, 'pXq')).toBe(false);
    expect(backendMatches(multi.slo!, 'r')).toBe(false);
  });

  it('prefers scoped variables (repeated panels)', () => {
    const q = ds.applyTemplateVariables(
      { refId: 'A', slo: '$slo' },
      { slo: { text: 'x', value: 'search-availability' } }
    );
    expect(q.slo).toBe('search-availability');
  });

  it('interpolates service and labels, and leaves other fields alone', () => {
    const query: NinesQuery = {
      refId: 'A',
      queryType: 'history',
      service: '$service',
      labels: { tier: '$tier', team: 'payments' },
      period: 'month',
      periods: 6,
      share: 0.9,
      objectives: '99, 99.5',
    };
    const q = ds.applyTemplateVariables(query, {});
    expect(q).toEqual({ ...query, service: 'checkout', labels: { tier: '1', team: 'payments' } });
  });

  it('passes a literal regex through untouched', () => {
    expect(ds.applyTemplateVariables({ refId: 'A', slo: 'checkout-.*' }, {}).slo).toBe('checkout-.*');
  });
});

describe('interpolate helpers', () => {
  it('recognises variables and names', () => {
    expect(isTemplateVariable('$slo')).toBe(true);
    expect(isTemplateVariable('${slo:regex}')).toBe(true);
    expect(isTemplateVariable('checkout')).toBe(false);
    expect(isSLOName('checkout-availability')).toBe(true);
    expect(isSLOName('checkout.*')).toBe(false);
  });

  it('interpolateQuery works with any TemplateSrv', () => {
    const q = interpolateQuery({ refId: 'A', window: '$one' }, {}, templateSrv);
    expect(q.window).toBe('checkout-latency');
  });
});

describe('variables', () => {
  const res = {
    slos: [
      {
        name: 'b',
        displayName: 'B',
        service: 'search',
        owner: 'team-search',
        objective: 99.5,
        window: '7d',
        indicator: 'ratio',
      },
      {
        name: 'a',
        displayName: 'A',
        service: 'checkout',
        owner: 'team-payments',
        objective: 99.9,
        window: '28d',
        indicator: 'ratio',
      },
      { name: 'c', displayName: 'C', service: 'checkout', objective: 99, window: '28d', indicator: 'latency' },
    ],
    errors: [],
  };

  it('lists SLO names, services and owners, sorted and distinct', () => {
    expect(variableValues(res, 'slos').map((v) => v.value)).toEqual(['a', 'b', 'c']);
    expect(variableValues(res, 'services').map((v) => v.value)).toEqual(['checkout', 'search']);
    expect(variableValues(res, 'owners').map((v) => v.value)).toEqual(['team-payments', 'team-search']);
  });

  it('answers a variable query with a text/value frame from GET slos', async () => {
    const ds = new DataSource(settings());
    const getResource = jest.spyOn(ds, 'getResource').mockResolvedValue(res);
    const support = ds.variables as unknown as {
      query: (r: unknown) => { toPromise?: unknown; subscribe: (o: (v: unknown) => void) => void };
    };
    const out = await new Promise<{ data: Array<{ fields: Array<{ name: string; values: string[] }> }> }>((resolve) =>
      support
        .query({ targets: [{ refId: 'V', kind: 'services', service: '$service' }], scopedVars: {} })
        .subscribe(resolve as (v: unknown) => void)
    );
    expect(getResource).toHaveBeenCalledWith('slos', { service: 'checkout' });
    const fields = out.data[0].fields;
    expect(fields.map((f) => f.name)).toEqual(['text', 'value']);
    expect(Array.from(fields[1].values)).toEqual(['checkout', 'search']);
  });
});

describe('group variables', () => {
  it("answers a groups variable with the values of the grouped SLO's label over the dashboard range", async () => {
    const ds = new DataSource(settings());
    const getResource = jest.spyOn(ds, 'getResource').mockResolvedValue({
      grouping: ['route'],
      groups: [{ route: '/a' }, { route: '/b' }],
      values: ['/a', '/b'],
      warnings: [],
    });
    const support = ds.variables as unknown as {
      query: (r: unknown) => { subscribe: (o: (v: unknown) => void) => void };
    };
    const range = { from: { valueOf: () => 1000 }, to: { valueOf: () => 2000 } };
    const out = await new Promise<{ data: Array<{ fields: Array<{ name: string; values: string[] }> }> }>((resolve) =>
      support
        .query({ targets: [{ refId: 'V', kind: 'groups', slo: 'api', label: 'route' }], scopedVars: {}, range })
        .subscribe(resolve as (v: unknown) => void)
    );
    expect(getResource).toHaveBeenCalledWith('slos/api/groups', { label: 'route', from: '1000', to: '2000' });
    expect(Array.from(out.data[0].fields[1].values)).toEqual(['/a', '/b']);
  });

  it('lists nothing until the SLO is chosen', async () => {
    const ds = new DataSource(settings());
    const getResource = jest.spyOn(ds, 'getResource');
    const support = ds.variables as unknown as {
      query: (r: unknown) => { subscribe: (o: (v: unknown) => void) => void };
    };
    const out = await new Promise<{ data: Array<{ fields: Array<{ values: string[] }> }> }>((resolve) =>
      support
        .query({ targets: [{ refId: 'V', kind: 'groups' }], scopedVars: {} })
        .subscribe(resolve as (v: unknown) => void)
    );
    expect(getResource).not.toHaveBeenCalled();
    expect(Array.from(out.data[0].fields[1].values)).toEqual([]);
  });
});

describe('scrape interval', () => {
  it('makes the scrape interval the minimum interval of panels, as the Prometheus data source does', () => {
    expect(new DataSource({ ...settings(), jsonData: { timeInterval: '30s' } }).interval).toBe('30s');
    expect(new DataSource(settings()).interval).toBeUndefined();
  });
});
