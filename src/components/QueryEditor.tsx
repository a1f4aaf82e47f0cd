import React, { useEffect, useMemo, useState } from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2, QueryEditorProps } from '@grafana/data';
import { getTemplateSrv } from '@grafana/runtime';
import {
  Alert,
  Collapse,
  Combobox,
  ComboboxOption,
  InlineField,
  InlineFieldRow,
  InlineSwitch,
  Input,
  Stack,
  Text,
  useStyles2,
} from '@grafana/ui';

import type { DataSource } from '../datasource';
import { errorText, formatDefinitionError, formatLabels, parseLabels, toNumber } from '../format';
import { isSLOName, isTemplateVariable, variableNames } from '../interpolate';
import {
  DEFAULT_INTERVAL,
  DEFAULT_MAX_LAG,
  DEFAULT_QUERY_TYPE,
  DEFAULT_SHARE,
  DefinitionError,
  GeneratedPromQL,
  HISTORY_PERIODS,
  HistoryPeriod,
  NinesOptions,
  NinesQuery,
  QUERY_TYPES,
  QueryType,
  SLOSummary,
} from '../types';

export type Props = QueryEditorProps<DataSource, NinesQuery, NinesOptions>;

const LABEL_WIDTH = 14;

/** Which per-type options a query type uses. */
export const OPTIONS_BY_TYPE: Record<QueryType, Array<keyof NinesQuery>> = {
  status: [],
  sli: ['window'],
  budget: ['window'],
  burnRate: ['window'],
  history: ['period', 'periods', 'share', 'objectives', 'timeZone', 'completeOnly'],
  happiness: ['signal', 'interval', 'maxLag'],
  catalog: [],
};

export function QueryEditor({ query, onChange, onRunQuery, datasource }: Props) {
  const styles = useStyles2(getStyles);
  const queryType: QueryType = query.queryType ?? DEFAULT_QUERY_TYPE;
  const typeInfo = QUERY_TYPES.find((t) => t.value === queryType) ?? QUERY_TYPES[0];
  const uses = OPTIONS_BY_TYPE[typeInfo.value];

  const [listed, setListed] = useState<{ slos: SLOSummary[]; errors: DefinitionError[]; error?: string } | undefined>(
    undefined
  );
  const loading = listed === undefined;
  const slos = useMemo(() => listed?.slos ?? [], [listed]);
  const loadErrors = listed?.errors ?? [];
  const listError = listed?.error;
  const [labelsText, setLabelsText] = useState(formatLabels(query.labels));

  useEffect(() => {
    let cancelled = false;
    datasource
      .listSLOs()
      .then((res) => !cancelled && setListed({ slos: res.slos, errors: res.errors }))
      .catch((err) => !cancelled && setListed({ slos: [], errors: [], error: errorText(err) }));
    return () => {
      cancelled = true;
    };
  }, [datasource]);

  const variables = useMemo(() => variableNames(), []);

  const sloOptions = useMemo(() => {
    const opts: Array<ComboboxOption<string>> = [];
    for (const v of variables) {
      opts.push({ label: v, value: v, description: 'Template variable', group: 'Template variables' });
    }
    for (const s of slos) {
      opts.push({
        label: s.name,
        value: s.name,
        description: `${s.displayName || s.name} · ${s.service} · ${s.objective}% over ${s.window}`,
        group: 'SLOs',
      });
    }
    if (query.slo && !opts.some((o) => o.value === query.slo)) {
      opts.push({ label: query.slo, value: query.slo, description: 'Custom value (name or regular expression)' });
    }
    return opts;
  }, [slos, variables, query.slo]);

  const serviceOptions = useMemo(() => {
    const services = Array.from(new Set(slos.map((s) => s.service).filter(Boolean))).sort();
    const opts: Array<ComboboxOption<string>> = [];
    for (const v of variables) {
      opts.push({ label: v, value: v, description: 'Template variable', group: 'Template variables' });
    }
    for (const s of services) {
      opts.push({ label: s, value: s, group: 'Services' });
    }
    if (query.service && !opts.some((o) => o.value === query.service)) {
      opts.push({ label: query.service, value: query.service });
    }
    return opts;
  }, [slos, variables, query.service]);

  const change = (patch: Partial<NinesQuery>, run = false) => {
    const next: NinesQuery = { ...query, ...patch };
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined || v === '') {
        delete (next as unknown as Record<string, unknown>)[k];
      }
    }
    onChange(next);
    if (run) {
      onRunQuery();
    }
  };

  const periodsInvalid =
    query.periods !== undefined && (!Number.isInteger(query.periods) || query.periods < 1 || query.periods > 120);
  const shareInvalid = query.share !== undefined && !(query.share > 0 && query.share <= 1);

  return (
    <Stack direction="column" gap={1}>
      <InlineFieldRow>
        <InlineField label="Query type" labelWidth={LABEL_WIDTH} htmlFor="nines-query-type">
          <Combobox<QueryType>
            id="nines-query-type"
            width={24}
            options={QUERY_TYPES.map((t) => ({ label: t.label, value: t.value, description: t.description }))}
            value={queryType}
            onChange={(v) => change({ queryType: v.value }, true)}
          />
        </InlineField>
        <Text color="secondary" italic>
          <span data-testid="nines-query-type-description" className={styles.description}>
            {typeInfo.description}
          </span>
        </Text>
      </InlineFieldRow>

      <InlineFieldRow>
        <InlineField
          label="SLO"
          labelWidth={LABEL_WIDTH}
          htmlFor="nines-slo"
          tooltip="An SLO name, a regular expression over names, or a template variable. Empty: all SLOs."
        >
          <Combobox<string>
            id="nines-slo"
            width={40}
            loading={loading}
            createCustomValue
            customValueDescription="Use as a name or a regular expression"
            isClearable
            placeholder="All SLOs"
            options={sloOptions}
            value={query.slo || null}
            onChange={(v) => change({ slo: v?.value || undefined }, true)}
          />
        </InlineField>
        <InlineField
          label="Service"
          labelWidth={10}
          htmlFor="nines-service"
          tooltip="Only SLOs of this service (a name, a regex or a variable)."
        >
          <Combobox<string>
            id="nines-service"
            width={28}
            createCustomValue
            isClearable
            placeholder="All services"
            options={serviceOptions}
            value={query.service || null}
            onChange={(v) => change({ service: v?.value || undefined }, true)}
          />
        </InlineField>
        <InlineField label="Labels" labelWidth={10} tooltip="Only SLOs having all these labels: key=value, key2=value2">
          <Input
            aria-label="Labels"
            width={32}
            placeholder="tier=1, team=payments"
            value={labelsText}
            onChange={(e) => setLabelsText(e.currentTarget.value)}
            onBlur={() => change({ labels: parseLabels(labelsText) }, true)}
          />
        </InlineField>
      </InlineFieldRow>

      {uses.length > 0 && (
        <InlineFieldRow>
          {uses.includes('window') && (
            <InlineField
              label="Window"
              labelWidth={LABEL_WIDTH}
              tooltip={
                queryType === 'burnRate'
                  ? 'Show only the burn rate over this window, e.g. 1h. Empty: all alerting windows.'
                  : `Compute the ${queryType === 'sli' ? 'SLI' : 'budget'} over this rolling window instead of the SLO window, e.g. 7d.`
              }
            >
              <Input
                aria-label="Window"
                width={16}
                placeholder={queryType === 'burnRate' ? 'all windows' : 'SLO window'}
                value={query.window ?? ''}
                onChange={(e) => change({ window: e.currentTarget.value })}
                onBlur={onRunQuery}
              />
            </InlineField>
          )}
          {uses.includes('period') && (
            <InlineField
              label="Period"
              labelWidth={LABEL_WIDTH}
              htmlFor="nines-period"
              tooltip="Calendar periods, or back-to-back SLO windows."
            >
              <Combobox<HistoryPeriod>
                id="nines-period"
                width={16}
                isClearable
                placeholder="default"
                options={HISTORY_PERIODS.map((p) => ({ label: p, value: p }))}
                value={query.period ?? null}
                onChange={(v) => change({ period: v?.value }, true)}
              />
            </InlineField>
          )}
          {uses.includes('periods') && (
            <InlineField
              label="Periods"
              labelWidth={10}
              tooltip="How many past periods, 1 to 120."
              invalid={periodsInvalid}
              error="1 to 120"
            >
              <Input
                aria-label="Periods"
                type="number"
                min={1}
                max={120}
                width={10}
                placeholder="default"
                value={query.periods ?? ''}
                onChange={(e) => change({ periods: toNumber(e.currentTarget.value) })}
                onBlur={onRunQuery}
              />
            </InlineField>
          )}
          {uses.includes('share') && (
            <InlineField
              label="Share"
              labelWidth={10}
              tooltip="The share of past windows an objective must meet to count as achievable, in (0, 1]."
              invalid={shareInvalid}
              error="between 0 (excluded) and 1"
            >
              <Input
                aria-label="Share"
                type="number"
                step={0.05}
                min={0}
                max={1}
                width={10}
                placeholder={String(DEFAULT_SHARE)}
                value={query.share ?? ''}
                onChange={(e) => change({ share: toNumber(e.currentTarget.value) })}
                onBlur={onRunQuery}
              />
            </InlineField>
          )}
          {uses.includes('objectives') && (
            <InlineField
              label="What if"
              labelWidth={10}
              tooltip="Objectives to test against the past windows, in percent."
            >
              <Input
                aria-label="Objectives"
                width={24}
                placeholder="99, 99.5, 99.9"
                value={query.objectives ?? ''}
                onChange={(e) => change({ objectives: e.currentTarget.value })}
                onBlur={onRunQuery}
              />
            </InlineField>
          )}
          {uses.includes('timeZone') && (
            <InlineField
              label="Time zone"
              labelWidth={10}
              tooltip="IANA time zone of calendar periods, e.g. Europe/Berlin. Empty: the SLO's own zone."
            >
              <Input
                aria-label="Time zone"
                width={20}
                placeholder="SLO's zone"
                value={query.timeZone ?? ''}
                onChange={(e) => change({ timeZone: e.currentTarget.value || undefined })}
                onBlur={onRunQuery}
              />
            </InlineField>
          )}
          {uses.includes('completeOnly') && (
            <InlineField
              label="Complete only"
              labelWidth={14}
              tooltip="Leave partial periods (data starts mid-period, or the period is still running) out of the summary."
            >
              <InlineSwitch
                aria-label="Complete periods only"
                value={query.completeOnly ?? false}
                onChange={(e) => change({ completeOnly: e.currentTarget.checked || undefined }, true)}
              />
            </InlineField>
          )}
          {uses.includes('signal') && (
            <InlineField
              label="Signal"
              labelWidth={LABEL_WIDTH}
              tooltip="A happiness signal's name from the SLO definition. Empty: all."
            >
              <Input
                aria-label="Signal"
                width={24}
                placeholder="all signals"
                value={query.signal ?? ''}
                onChange={(e) => change({ signal: e.currentTarget.value })}
                onBlur={onRunQuery}
              />
            </InlineField>
          )}
          {uses.includes('interval') && (
            <InlineField label="Interval" labelWidth={10} tooltip="The interval SLI and signal are compared at.">
              <Input
                aria-label="Interval"
                width={10}
                placeholder={DEFAULT_INTERVAL}
                value={query.interval ?? ''}
                onChange={(e) => change({ interval: e.currentTarget.value })}
                onBlur={onRunQuery}
              />
            </InlineField>
          )}
          {uses.includes('maxLag') && (
            <InlineField label="Max lag" labelWidth={10} tooltip="The largest lag tried, in intervals.">
              <Input
                aria-label="Max lag"
                type="number"
                min={0}
                width={10}
                placeholder={String(DEFAULT_MAX_LAG)}
                value={query.maxLag ?? ''}
                onChange={(e) => change({ maxLag: toNumber(e.currentTarget.value) })}
                onBlur={onRunQuery}
              />
            </InlineField>
          )}
        </InlineFieldRow>
      )}

      {listError && (
        <Alert severity="warning" title="Could not list the SLOs">
          {listError}
        </Alert>
      )}
      {loadErrors.length > 0 && (
        <Alert severity="warning" title={`${loadErrors.length} definition error(s): those SLOs are not loaded`}>
          <ul>
            {loadErrors.slice(0, 10).map((e, i) => (
              <li key={i}>{formatDefinitionError(e)}</li>
            ))}
          </ul>
        </Alert>
      )}

      <PromQLSection datasource={datasource} slo={query.slo} />
    </Stack>
  );
}

/** The SLO one name stands for, after interpolating a variable; undefined when it is not one SLO. */
function singleSLO(slo: string | undefined): string | undefined {
  if (!slo) {
    return undefined;
  }
  let name = slo;
  if (isTemplateVariable(slo)) {
    try {
      name = getTemplateSrv().replace(slo);
    } catch {
      return undefined;
    }
  }
  return isSLOName(name) ? name : undefined;
}

function PromQLSection({ datasource, slo }: { datasource: DataSource; slo?: string }) {
  const styles = useStyles2(getStyles);
  const [open, setOpen] = useState(false);
  const [fetched, setFetched] = useState<
    { name: string; promql?: GeneratedPromQL; errors: DefinitionError[]; error?: string } | undefined
  >(undefined);
  const name = singleSLO(slo);
  const current = fetched && fetched.name === name ? fetched : undefined;
  const loading = open && !!name && !current;
  const promql = current?.promql;
  const errors = current?.errors ?? [];
  const error = current?.error;

  useEffect(() => {
    if (!open || !name) {
      return;
    }
    let cancelled = false;
    datasource
      .getSLO(name)
      .then((res) => !cancelled && setFetched({ name, promql: res.promql, errors: res.errors }))
      .catch((err) => !cancelled && setFetched({ name, errors: [], error: errorText(err) }));
    return () => {
      cancelled = true;
    };
  }, [open, name, datasource]);

  const rows: Array<[string, string | undefined]> = promql
    ? [
        ['SLI over the window', promql.handWritten],
        ['Good events', promql.good],
        ['Bad events', promql.bad],
        ['Good or bad events', promql.goodOrBad],
        ['Total events', promql.total],
      ]
    : [];

  return (
    <Collapse label="PromQL" isOpen={open} onToggle={() => setOpen(!open)} loading={loading}>
      {!name && <Text color="secondary">Pick one SLO to see the PromQL Nines generates for it.</Text>}
      {name && error && (
        <Alert severity="error" title={`Could not load ${name}`}>
          {error}
        </Alert>
      )}
      {name && promql?.error && (
        <Alert severity="warning" title="PromQL">
          {promql.error}
        </Alert>
      )}
      {name &&
        rows
          .filter(([, q]) => !!q)
          .map(([label, q]) => (
            <div key={label} className={styles.promql}>
              <Text variant="bodySmall" color="secondary">
                {label}
              </Text>
              <pre aria-label={label}>{q}</pre>
            </div>
          ))}
      {name && errors.length > 0 && (
        <ul>
          {errors.map((e, i) => (
            <li key={i}>{formatDefinitionError(e)}</li>
          ))}
        </ul>
      )}
    </Collapse>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  description: css({ alignSelf: 'center', marginLeft: theme.spacing(1) }),
  promql: css({ marginBottom: theme.spacing(1), pre: { whiteSpace: 'pre-wrap', margin: 0 } }),
});
