import { ScopedVars } from '@grafana/data';
import { TemplateSrv, getTemplateSrv } from '@grafana/runtime';

import { DEFAULT_QUERY_TYPE, NinesQuery, SLO_NAME_PATTERN } from './types';

// The characters Go's regexp.QuoteMeta escapes: the backend compiles `slo` and `service`
// as anchored RE2 regular expressions, where a backslash before punctuation is a literal.
const REGEX_METACHARACTERS = /[\\.+*?()|[\]{}^$]/g;

/** Escapes a value so that, as a regular expression, it matches exactly itself. */
export function regexEscape(value: string): string {
  return value.replace(REGEX_METACHARACTERS, '\\$&');
}

/**
 * Template-variable formatter for the `slo` and `service` fields: each value is
 * regex-escaped; several values become one alternation `(a|b)`. A single value stays a
 * plain (escaped) string, so a literal SLO name still reaches the backend as a name.
 */
export function regexFormatter(value: string | string[] | unknown): string {
  if (Array.isArray(value)) {
    const values = value.map((v) => regexEscape(String(v)));
    if (values.length === 0) {
      return '';
    }
    if (values.length === 1) {
      return values[0];
    }
    return `(${values.join('|')})`;
  }
  if (value === undefined || value === null) {
    return '';
  }
  return regexEscape(String(value));
}

/** Interpolates the template variables of a query before it is sent to the backend. */
export function interpolateQuery(query: NinesQuery, scopedVars: ScopedVars, templateSrv: TemplateSrv): NinesQuery {
  const out: NinesQuery = { ...query, queryType: query.queryType || DEFAULT_QUERY_TYPE };
  if (query.slo) {
    out.slo = templateSrv.replace(query.slo, scopedVars, regexFormatter);
  }
  if (query.service) {
    out.service = templateSrv.replace(query.service, scopedVars, regexFormatter);
  }
  if (query.labels) {
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(query.labels)) {
      // Labels are compared for equality by the backend: pass values as they are.
      labels[templateSrv.replace(k, scopedVars)] = templateSrv.replace(v ?? '', scopedVars, 'raw');
    }
    out.labels = labels;
  }
  for (const key of ['window', 'signal', 'interval'] as const) {
    const v = query[key];
    if (v) {
      out[key] = templateSrv.replace(v, scopedVars);
    }
  }
  return out;
}

/** Whether a string names a template variable (`$var`, `${var}`, `[[var]]`). */
export function isTemplateVariable(value: string | undefined): boolean {
  return !!value && /\$\{?[A-Za-z_]\w*|\[\[\w+/.test(value);
}

/** Whether a value is one SLO name (not a regex, not a variable). Same pattern as the backend. */
export function isSLOName(value: string | undefined): boolean {
  return !!value && SLO_NAME_PATTERN.test(value);
}

/** The dashboard's template variables as `$name`, for pickers; none outside a dashboard. */
export function variableNames(): string[] {
  try {
    return getTemplateSrv()
      .getVariables()
      .map((v) => `$${v.name}`);
  } catch {
    return [];
  }
}
