import React, { useRef, useState } from 'react';
import { css } from '@emotion/css';
import { DataSourcePluginOptionsEditorProps, GrafanaTheme2 } from '@grafana/data';
import {
  AdvancedHttpSettings,
  Auth,
  AuthMethod,
  ConfigSection,
  ConfigSubSection,
  ConnectionSettings,
  DataSourceDescription,
  convertLegacyAuthProps,
} from '@grafana/plugin-ui';
import { getBackendSrv } from '@grafana/runtime';
import { Alert, Button, CodeEditor, Divider, Field, Stack, TagsInput, useStyles2 } from '@grafana/ui';

import { errorText, formatDefinitionError } from '../format';
import { NinesOptions, NinesSecureJsonData, RANGE_SEMANTICS, RangeSemantics, ValidateResponse } from '../types';
import { FieldSpec, OptionField } from './OptionField';

export type Props = DataSourcePluginOptionsEditorProps<NinesOptions, NinesSecureJsonData>;

const YAML_PLACEHOLDER = `service: checkout
owner: team-payments
slos:
  - name: checkout-availability
    objective: 99.9
    window: 28d
    userStory: As a shopper, I want to pay without errors.
    indicator:
      ratio:
        good: http_requests_total{job="checkout",code!~"5.."}
        total: http_requests_total{job="checkout"}
`;

const LABEL_WIDTH = 24;
const WIDTH = 20;
const DEFAULT_MAX_CONCURRENCY = 4;
const MAX_CONCURRENCY = 64;
const DEFAULT_CACHE_MB = 128;
const MAX_CACHE_MB = 16384;
const DEFAULT_MAX_RESPONSE_MB = 64;
const DEFAULT_TIME_INTERVAL = '1m';
const DEFAULT_MAX_GAP = '1h';

/** The options of "Queries and cache", one entry each, with the backend's defaults. */
const CONFIG_OPTIONS: Array<FieldSpec & { name: keyof NinesOptions }> = [
  {
    name: 'maxConcurrency',
    label: 'Max concurrent queries',
    kind: 'number',
    id: 'nines-max-concurrency',
    width: WIDTH,
    labelWidth: LABEL_WIDTH,
    tooltip: `Requests in flight to the metrics source at once, per data-source instance (1–${MAX_CONCURRENCY}, default ${DEFAULT_MAX_CONCURRENCY}).`,
    default: DEFAULT_MAX_CONCURRENCY,
    min: 1,
    max: MAX_CONCURRENCY,
  },
  {
    name: 'cacheMB',
    label: 'Cache size (MB)',
    kind: 'number',
    id: 'nines-cache-mb',
    width: WIDTH,
    labelWidth: LABEL_WIDTH,
    tooltip: `Memory for past chunks of data (they never change), so that a refresh fetches only the newest ones. 0 turns the cache off; empty means ${DEFAULT_CACHE_MB}, enough for a status panel of 1,000 SLOs.`,
    default: DEFAULT_CACHE_MB,
    min: 0,
    max: MAX_CACHE_MB,
    integer: true,
  },
  {
    name: 'maxQueryLength',
    label: 'Max query length',
    kind: 'text',
    id: 'nines-max-query-length',
    width: WIDTH,
    labelWidth: LABEL_WIDTH,
    tooltip:
      'The longest time range one request to the source may span (e.g. 30d, 768h): set it to the max_query_length of Mimir, Cortex or Thanos, and longer ranges are split. Empty: no bound (a refused range is still split once).',
    placeholder: 'none',
    trim: true,
  },
  {
    name: 'maxResponseMB',
    label: 'Max answer size (MB)',
    kind: 'number',
    id: 'nines-max-response',
    width: WIDTH,
    labelWidth: LABEL_WIDTH,
    tooltip: `The largest answer read from the metrics source; a query whose answer is larger fails and says so (default ${DEFAULT_MAX_RESPONSE_MB}).`,
    default: DEFAULT_MAX_RESPONSE_MB,
    min: 1,
    max: 1024,
  },
  {
    name: 'timeInterval',
    label: 'Scrape interval',
    kind: 'text',
    id: 'nines-time-interval',
    width: WIDTH,
    labelWidth: LABEL_WIDTH,
    tooltip: `How often Prometheus scrapes your targets, as in Grafana's Prometheus data source (e.g. 15s, 1m). Empty: ${DEFAULT_TIME_INTERVAL}.`,
    default: DEFAULT_TIME_INTERVAL,
    trim: true,
  },
  {
    name: 'maxGap',
    label: 'Bridge gaps up to',
    kind: 'text',
    id: 'nines-max-gap',
    width: WIDTH,
    labelWidth: LABEL_WIDTH,
    tooltip: `When the source has no samples for a while (Prometheus down, target unreachable), the counter's growth across the gap is counted when the gap is at most this long (e.g. ${DEFAULT_MAX_GAP}, the default); longer gaps are reported in a notice.`,
    default: DEFAULT_MAX_GAP,
    trim: true,
  },
  {
    name: 'rawReads',
    label: 'Raw reads',
    kind: 'switch',
    id: 'nines-raw-reads',
    labelWidth: LABEL_WIDTH,
    tooltip:
      "Read the raw samples that status panels need through Prometheus's remote-read API (/api/v1/read) and compute in Nines: the same figures, less work for Prometheus. Used only when the source is Prometheus; off sends every query as PromQL.",
    default: true,
  },
  {
    name: 'rangeSemantics',
    label: 'Counter growth',
    kind: 'select',
    id: 'nines-range-semantics',
    width: 40,
    labelWidth: LABEL_WIDTH,
    tooltip:
      "How Nines asks the source for a counter's growth per bucket. Detect asks the source once and picks the right form for Prometheus 2.x/3.x, Prometheus 3 with extended range selectors, or VictoriaMetrics.",
    default: 'auto',
    values: RANGE_SEMANTICS,
  },
];

/** The earlier values "closed" and "leftOpen" are shown as what the backend reads them as. */
function rangeSemantics(value: RangeSemantics | undefined): RangeSemantics | undefined {
  return value === 'closed' || value === 'leftOpen' ? 'lastSample' : value;
}

type ValidateState =
  | { state: 'idle' }
  | { state: 'running' }
  | { state: 'done'; result: ValidateResponse }
  | { state: 'failed'; message: string };

export function ConfigEditor(props: Props) {
  const { options, onOptionsChange } = props;
  const { jsonData } = options;
  const styles = useStyles2(getStyles);
  const [validation, setValidation] = useState<ValidateState>({ state: 'idle' });
  // The editor's text as typed (jsonData is updated on blur): Validate checks what is shown.
  const draft = useRef<string | undefined>(undefined);

  const setJsonData = (patch: Partial<NinesOptions>) => {
    const next: NinesOptions = { ...jsonData, ...patch };
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) {
        delete (next as Record<string, unknown>)[k];
      }
    }
    onOptionsChange({ ...options, jsonData: next });
  };

  const authProps = convertLegacyAuthProps({ config: options, onChange: onOptionsChange });

  const validate = async () => {
    setValidation({ state: 'running' });
    try {
      const res = await getBackendSrv().post<ValidateResponse>(
        `/api/datasources/uid/${options.uid}/resources/validate`,
        { yaml: draft.current ?? jsonData.definitions ?? '', name: 'inline' },
        { showErrorAlert: false }
      );
      setValidation({
        state: 'done',
        result: { valid: !!res?.valid, slos: res?.slos ?? [], errors: res?.errors ?? [] },
      });
    } catch (err) {
      setValidation({ state: 'failed', message: errorText(err) });
    }
  };

  return (
    <>
      <DataSourceDescription
        dataSourceName="Nines SLO"
        docsLink="https://github.com/nines-slo/nines#readme"
        hasRequiredFields={true}
      />
      <Divider />

      <ConnectionSettings
        config={options}
        onChange={onOptionsChange}
        urlLabel="Metrics source URL"
        urlPlaceholder="http://prometheus:9090"
        urlTooltip="A server that speaks the Prometheus HTTP API: Prometheus, Thanos, Mimir, Cortex or VictoriaMetrics."
      />
      <Divider />

      <Auth {...authProps} visibleMethods={[AuthMethod.NoAuth, AuthMethod.BasicAuth]} />
      <Divider />

      <ConfigSection
        title="SLO definitions"
        description="Native or OpenSLO v1 YAML, from files or folders on the Grafana host and/or inline here. Both are loaded."
      >
        <Field
          label="Definition paths"
          description="Files or folders on the Grafana host (re-read when they change). Type a path and press Enter."
        >
          <TagsInput
            id="nines-definition-paths"
            placeholder="/etc/nines/slos"
            tags={jsonData.definitionPaths ?? []}
            onChange={(paths) => setJsonData({ definitionPaths: paths.length > 0 ? paths : undefined })}
          />
        </Field>
        <Field label="Inline definitions" description="YAML; checked by the backend when you press Validate.">
          <CodeEditor
            value={jsonData.definitions ?? ''}
            language="yaml"
            height={280}
            showLineNumbers={true}
            showMiniMap={false}
            onChange={(value) => {
              draft.current = value;
            }}
            onBlur={(value) => setJsonData({ definitions: value === '' ? undefined : value })}
            onSave={(value) => setJsonData({ definitions: value === '' ? undefined : value })}
            containerStyles={styles.editor}
          />
        </Field>
        {!jsonData.definitions && (
          <details className={styles.example}>
            <summary>Example</summary>
            <pre>{YAML_PLACEHOLDER}</pre>
          </details>
        )}
        <Stack direction="row" gap={1} alignItems="center">
          <Button
            variant="secondary"
            icon={validation.state === 'running' ? 'spinner' : 'check'}
            disabled={validation.state === 'running'}
            onClick={validate}
          >
            Validate
          </Button>
        </Stack>
        <ValidationResult validation={validation} />
      </ConfigSection>
      <Divider />

      <ConfigSection title="Additional settings" isCollapsible isInitiallyOpen={false}>
        <AdvancedHttpSettings config={options} onChange={onOptionsChange} />
        <ConfigSubSection title="Queries and cache">
          {CONFIG_OPTIONS.map((spec) => (
            <OptionField
              key={spec.name}
              spec={spec}
              value={spec.name === 'rangeSemantics' ? rangeSemantics(jsonData.rangeSemantics) : jsonData[spec.name]}
              onChange={(v) => setJsonData({ [spec.name]: v })}
            />
          ))}
        </ConfigSubSection>
      </ConfigSection>
    </>
  );
}

function ValidationResult({ validation }: { validation: ValidateState }) {
  if (validation.state === 'failed') {
    return (
      <Alert severity="error" title="Validation failed">
        {validation.message}
      </Alert>
    );
  }
  if (validation.state !== 'done') {
    return null;
  }
  const { result } = validation;
  if (result.valid && result.errors.length === 0) {
    const n = result.slos.length;
    return (
      <Alert severity="success" title={`Valid: ${n} SLO${n === 1 ? '' : 's'}`}>
        {n > 0 ? result.slos.join(', ') : 'No SLO defined inline.'}
      </Alert>
    );
  }
  return (
    <Alert
      severity="error"
      title={`${result.errors.length} error${result.errors.length === 1 ? '' : 's'} in the inline definitions`}
    >
      <ul aria-label="Validation errors">
        {result.errors.map((e, i) => (
          <li key={i}>{formatDefinitionError(e)}</li>
        ))}
      </ul>
      {result.slos.length > 0 && <div>Loaded anyway: {result.slos.join(', ')}</div>}
    </Alert>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  editor: css({ width: '100%', maxWidth: 900 }),
  example: css({ marginBottom: theme.spacing(2), pre: { marginTop: theme.spacing(1) } }),
});
