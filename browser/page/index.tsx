// The editors' test page: ConfigEditor, QueryEditor and VariableQueryEditor as Grafana renders
// them (theme, global styles), one per location hash (#config, #query, #variable). Resource
// calls go over HTTP to the page's server (browser/server.ts), which answers with the
// recorded answers of the plugin's resource handlers.
import './boot';

import React, { useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { lastValueFrom, from, Observable } from 'rxjs';
import { DataQueryRequest, DataSourceInstanceSettings, DataSourceSettings, createTheme } from '@grafana/data';
import { BackendSrv, BackendSrvRequest, FetchResponse, setBackendSrv, setTemplateSrv } from '@grafana/runtime';
import { GlobalStyles, ThemeContext } from '@grafana/ui';

import { ConfigEditor } from '../../src/components/ConfigEditor';
import { QueryEditor } from '../../src/components/QueryEditor';
import { VariableQueryEditor } from '../../src/components/VariableQueryEditor';
import { DataSource } from '../../src/datasource';
import { fakeTemplateSrv } from '../../src/testutils/fakeTemplateSrv';
import { NinesVariableSupport } from '../../src/variables';
import { NinesOptions, NinesQuery, NinesSecureJsonData, NinesVariableQuery } from '../../src/types';

// Monaco's editor worker (YAML needs no language worker), bundled by webpack.
window.MonacoEnvironment = {
  getWorker: () => new Worker(new URL('monaco-editor/esm/vs/editor/editor.worker.js', import.meta.url)),
};

/** Grafana's backend service, reduced to fetch: what the editors and DataSourceWithBackend call. */
function httpFetch<T>(req: BackendSrvRequest): Observable<FetchResponse<T>> {
  return from(
    (async () => {
      const url = new URL(req.url, window.location.origin);
      for (const [k, v] of Object.entries(req.params ?? {})) {
        if (v !== undefined && v !== '') {
          url.searchParams.set(k, String(v));
        }
      }
      const res = await fetch(url, {
        method: req.method ?? 'GET',
        headers: { 'Content-Type': 'application/json' },
        body: req.data === undefined ? undefined : JSON.stringify(req.data),
      });
      const data = (await res.json()) as T;
      const response = {
        data,
        status: res.status,
        statusText: res.statusText,
        ok: res.ok,
        headers: res.headers,
        redirected: res.redirected,
        type: res.type,
        url: res.url,
        config: req,
      };
      if (!res.ok) {
        throw response;
      }
      return response;
    })()
  );
}

const backendSrv = {
  fetch: httpFetch,
  get: (url: string, params?: Record<string, unknown>) => lastValueFrom(httpFetch({ url, params })).then((r) => r.data),
  post: (url: string, data?: unknown) => lastValueFrom(httpFetch({ url, method: 'POST', data })).then((r) => r.data),
} as unknown as BackendSrv;

setBackendSrv(backendSrv);
setTemplateSrv(fakeTemplateSrv({}));

const UID = 'nines';

const instanceSettings = {
  id: 1,
  uid: UID,
  type: 'nines-slo-datasource',
  name: 'Nines SLO',
  access: 'proxy',
  readOnly: false,
  jsonData: {},
  meta: { id: 'nines-slo-datasource', name: 'Nines SLO', info: { logos: {} } },
} as unknown as DataSourceInstanceSettings<NinesOptions>;

const datasource = new DataSource(instanceSettings);

const initialOptions = {
  id: 1,
  uid: UID,
  orgId: 1,
  name: 'Nines SLO',
  type: 'nines-slo-datasource',
  typeName: 'Nines SLO',
  typeLogoUrl: '',
  access: 'proxy',
  url: 'http://prometheus:9090',
  user: '',
  database: '',
  basicAuth: false,
  basicAuthUser: '',
  isDefault: true,
  withCredentials: false,
  readOnly: false,
  jsonData: { definitionPaths: ['/etc/nines/slos'] },
  secureJsonFields: {},
} as unknown as DataSourceSettings<NinesOptions, NinesSecureJsonData>;

/** What Grafana would save, as its query inspector and the data source's JSON show it. */
function Saved({ value }: { value: unknown }) {
  return (
    <details>
      <summary>Saved model</summary>
      <pre data-testid="saved-model">{JSON.stringify(value, null, 2)}</pre>
    </details>
  );
}

function ConfigPage() {
  const [options, setOptions] = useState(initialOptions);
  return (
    <>
      <ConfigEditor options={options} onOptionsChange={setOptions} />
      <Saved value={options.jsonData} />
    </>
  );
}

function QueryPage() {
  const [query, setQuery] = useState<NinesQuery>({ refId: 'A' } as NinesQuery);
  const [runs, setRuns] = useState(0);
  return (
    <>
      <QueryEditor query={query} onChange={setQuery} onRunQuery={() => setRuns((n) => n + 1)} datasource={datasource} />
      <p data-testid="runs">Queries run: {runs}</p>
      <Saved value={query} />
    </>
  );
}

function VariablePage() {
  const [query, setQuery] = useState<NinesVariableQuery>({ refId: 'NinesVariableQuery', kind: 'slos' });
  const [values, setValues] = useState<string[] | undefined>(undefined);
  // The values Grafana would list, from the data source's variable support (GET slos).
  const preview = async (q: NinesVariableQuery) => {
    const support = datasource.variables as NinesVariableSupport;
    const res = await lastValueFrom(
      support.query({ targets: [q], scopedVars: {} } as unknown as DataQueryRequest<NinesVariableQuery>)
    );
    setValues(res.data[0].fields[0].values as string[]);
  };
  const onChange = (q: NinesVariableQuery) => {
    setQuery(q);
    void preview(q);
  };
  const Editor = VariableQueryEditor as unknown as React.ComponentType<{
    query: NinesVariableQuery;
    onChange: (q: NinesVariableQuery) => void;
    datasource: DataSource;
    onRunQuery: () => void;
  }>;
  return (
    <>
      <Editor query={query} onChange={onChange} datasource={datasource} onRunQuery={() => {}} />
      {values && (
        <section aria-label="Preview of values">
          <h4>Preview of values</h4>
          <ul>
            {values.map((v) => (
              <li key={v}>{v}</li>
            ))}
          </ul>
        </section>
      )}
      <Saved value={query} />
    </>
  );
}

const PAGES: Record<string, { title: string; Page: () => React.JSX.Element }> = {
  config: { title: 'Data source settings', Page: ConfigPage },
  query: { title: 'Query editor', Page: QueryPage },
  variable: { title: 'Variable query editor', Page: VariablePage },
};

function App() {
  const theme = useMemo(() => createTheme({ colors: { mode: 'dark' } }), []);
  const key = window.location.hash.replace('#', '') || 'config';
  const { title, Page } = PAGES[key] ?? PAGES.config;
  return (
    <ThemeContext.Provider value={theme}>
      <GlobalStyles />
      <main style={{ padding: theme.spacing(3), maxWidth: 1100 }}>
        <h2>{title}</h2>
        <Page />
      </main>
    </ThemeContext.Provider>
  );
}

window.addEventListener('hashchange', () => window.location.reload());
createRoot(document.getElementById('root')!).render(<App />);
