import React, { useEffect, useMemo, useState } from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2, QueryEditorProps } from '@grafana/data';
import { getTemplateSrv } from '@grafana/runtime';
import { Alert, Collapse, ComboboxOption, InlineFieldRow, Stack, Text, useStyles2 } from '@grafana/ui';

import type { DataSource } from '../datasource';
import { errorText, formatDefinitionError } from '../format';
import { isSLOName, isTemplateVariable, variableNames } from '../interpolate';
import { COMMON_OPTIONS, OPTIONS_BY_TYPE, QUERY_TYPE_FIELD, QueryOptionName, optionFor } from '../queryOptions';
import {
  DEFAULT_QUERY_TYPE,
  DefinitionError,
  GeneratedPromQL,
  NinesOptions,
  NinesQuery,
  QUERY_TYPES,
  QueryType,
  SLOSummary,
} from '../types';
import { FieldValue, OptionField } from './OptionField';

export type Props = QueryEditorProps<DataSource, NinesQuery, NinesOptions>;

export function QueryEditor({ query, onChange, onRunQuery, datasource }: Props) {
  const styles = useStyles2(getStyles);
  const queryType: QueryType = query.queryType ?? DEFAULT_QUERY_TYPE;
  const typeInfo = QUERY_TYPES.find((t) => t.value === queryType) ?? QUERY_TYPES[0];
  const uses = OPTIONS_BY_TYPE[typeInfo.value];

  const [listed, setListed] = useState<{ slos: SLOSummary[]; errors: DefinitionError[]; error?: string } | undefined>(
    undefined
  );
  const slos = useMemo(() => listed?.slos ?? [], [listed]);
  const loadErrors = listed?.errors ?? [];
  const listError = listed?.error;

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
    const opts: Array<ComboboxOption<string>> = variableOptions(variables);
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
    const opts: Array<ComboboxOption<string>> = variableOptions(variables);
    for (const s of services) {
      opts.push({ label: s, value: s, group: 'Services' });
    }
    if (query.service && !opts.some((o) => o.value === query.service)) {
      opts.push({ label: query.service, value: query.service });
    }
    return opts;
  }, [slos, variables, query.service]);

  const choices: Partial<Record<QueryOptionName, Array<ComboboxOption<string>>>> = {
    slo: sloOptions,
    service: serviceOptions,
  };

  const change = (patch: Partial<NinesQuery>) => {
    const next: NinesQuery = { ...query, ...patch };
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined || v === '') {
        delete (next as unknown as Record<string, unknown>)[k];
      }
    }
    onChange(next);
  };

  const field = (name: QueryOptionName) => (
    <OptionField
      key={name}
      spec={optionFor(name, queryType)}
      value={query[name]}
      choices={choices[name]}
      onChange={(v: FieldValue | undefined) => change({ [name]: v })}
      onRun={onRunQuery}
    />
  );

  return (
    <Stack direction="column" gap={1}>
      <InlineFieldRow>
        <OptionField
          spec={QUERY_TYPE_FIELD}
          value={queryType}
          onChange={(v) => change({ queryType: v as QueryType })}
          onRun={onRunQuery}
        />
        <Text color="secondary" italic>
          <span data-testid="nines-query-type-description" className={styles.description}>
            {typeInfo.description}
          </span>
        </Text>
      </InlineFieldRow>

      <InlineFieldRow>{COMMON_OPTIONS.map(field)}</InlineFieldRow>

      {uses.length > 0 && <InlineFieldRow>{uses.map(field)}</InlineFieldRow>}

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

/** The dashboard's variables, first in a picker. */
function variableOptions(variables: string[]): Array<ComboboxOption<string>> {
  return variables.map((v) => ({ label: v, value: v, description: 'Template variable', group: 'Template variables' }));
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
