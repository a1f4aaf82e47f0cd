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
import {
  Alert,
  Button,
  CodeEditor,
  Divider,
  Field,
  InlineField,
  Combobox,
  Input,
  Stack,
  TagsInput,
  useStyles2,
} from '@grafana/ui';

import { errorText, formatDefinitionError, toNumber } from '../format';
import { NinesOptions, NinesSecureJsonData, RANGE_SEMANTICS, RangeSemantics, ValidateResponse } from '../types';

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
          <InlineField
            label="Max concurrent queries"
            labelWidth={24}
            tooltip="Requests in flight to the metrics source at once, per data-source instance (1–64, default 4)."
          >
            <Input
              id="nines-max-concurrency"
              type="number"
              min={1}
              max={64}
              width={20}
              placeholder="4"
              value={jsonData.maxConcurrency ?? ''}
              onChange={(e) => setJsonData({ maxConcurrency: toNumber(e.currentTarget.value) })}
            />
          </InlineField>
          <InlineField
            label="Cache entries"
            labelWidth={24}
            tooltip="Past chunks kept in memory (they never change). 0 turns the cache off; empty means 2000."
          >
            <Input
              id="nines-cache-entries"
              type="number"
              min={0}
              width={20}
              placeholder="2000"
              value={jsonData.cacheEntries ?? ''}
              onChange={(e) => setJsonData({ cacheEntries: toNumber(e.currentTarget.value) })}
            />
          </InlineField>
          <InlineField
            label="Scrape interval"
            labelWidth={24}
            tooltip="How often Prometheus scrapes your targets, as in Grafana's Prometheus data source (e.g. 15s, 1m). Empty: 1m."
          >
            <Input
              id="nines-time-interval"
              width={20}
              placeholder="1m"
              value={jsonData.timeInterval ?? ''}
              onChange={(e) => setJsonData({ timeInterval: e.currentTarget.value.trim() || undefined })}
            />
          </InlineField>
          <InlineField
            label="Bridge gaps up to"
            labelWidth={24}
            tooltip="When the source has no samples for a while (Prometheus down, target unreachable), the counter's growth across the gap is counted when the gap is at most this long (e.g. 1h, the default); longer gaps are reported in a notice."
          >
            <Input
              id="nines-max-gap"
              width={20}
              placeholder="1h"
              value={jsonData.maxGap ?? ''}
              onChange={(e) => setJsonData({ maxGap: e.currentTarget.value.trim() || undefined })}
            />
          </InlineField>
          <InlineField
            label="Counter growth"
            labelWidth={24}
            tooltip="How Nines asks the source for a counter's growth per bucket. Detect asks the source once and picks the right form for Prometheus 2.x/3.x, Prometheus 3 with extended range selectors, or VictoriaMetrics."
            htmlFor="nines-range-semantics"
          >
            <Combobox<RangeSemantics>
              id="nines-range-semantics"
              width={40}
              options={RANGE_SEMANTICS}
              value={
                jsonData.rangeSemantics === 'closed' || jsonData.rangeSemantics === 'leftOpen'
                  ? 'lastSample'
                  : (jsonData.rangeSemantics ?? 'auto')
              }
              onChange={(v) => setJsonData({ rangeSemantics: v.value })}
            />
          </InlineField>
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
