import type { FieldSpec } from './components/OptionField';
import { DEFAULT_QUERY_TYPE, HISTORY_PERIODS, QUERY_TYPES, QueryOptionName, QueryType } from './types';

/**
 * The options of a query, one entry each: what the editor shows (label, tooltip, control,
 * width), the backend's default when the option is unset, and the bounds it accepts. Each
 * figure stands here only; `OPTIONS_BY_TYPE` says which query type shows which option, in
 * editor order. Both are checked against the backend's contract in
 * pkg/models/testdata/query_types.golden.json.
 */

export type { QueryOptionName };

export interface QueryOptionSpec extends FieldSpec {
  name: QueryOptionName;
  /** What differs for some query types (e.g. what "window" means). */
  byType?: Partial<Record<QueryType, Pick<FieldSpec, 'tooltip' | 'placeholder'>>>;
}

const LABEL_WIDTH = 14;
const NEXT_LABEL_WIDTH = 10;

const MIN_PERIODS = 1;
const MAX_PERIODS = 120;

export const QUERY_OPTIONS: { [N in QueryOptionName]: QueryOptionSpec & { name: N } } = {
  slo: {
    name: 'slo',
    label: 'SLO',
    kind: 'select',
    id: 'nines-slo',
    width: 40,
    labelWidth: LABEL_WIDTH,
    tooltip: 'An SLO name, a regular expression over names, or a template variable. Empty: all SLOs.',
    placeholder: 'All SLOs',
    clearable: true,
    custom: true,
    customValueDescription: 'Use as a name or a regular expression',
  },
  service: {
    name: 'service',
    label: 'Service',
    kind: 'select',
    id: 'nines-service',
    width: 28,
    labelWidth: NEXT_LABEL_WIDTH,
    tooltip: 'Only SLOs of this service (a name, a regex or a variable).',
    placeholder: 'All services',
    clearable: true,
    custom: true,
  },
  labels: {
    name: 'labels',
    label: 'Labels',
    kind: 'labels',
    width: 32,
    labelWidth: NEXT_LABEL_WIDTH,
    tooltip: 'Only SLOs having all these labels: key=value, key2=value2',
    placeholder: 'tier=1, team=payments',
  },
  window: {
    name: 'window',
    label: 'Window',
    kind: 'text',
    width: 16,
    labelWidth: LABEL_WIDTH,
    tooltip: 'Compute the SLI over this rolling window instead of the SLO window, e.g. 7d.',
    placeholder: 'SLO window',
    byType: {
      budget: { tooltip: 'Compute the budget over this rolling window instead of the SLO window, e.g. 7d.' },
      burnRate: {
        tooltip: 'Show only the burn rate over this window, e.g. 1h. Empty: all alerting windows.',
        placeholder: 'all windows',
      },
      history: { tooltip: 'With the rolling period: the length of each past window, e.g. 30d. Empty: the SLO window.' },
    },
  },
  period: {
    name: 'period',
    label: 'Period',
    kind: 'select',
    id: 'nines-period',
    width: 16,
    labelWidth: LABEL_WIDTH,
    tooltip: 'Calendar periods, or back-to-back SLO windows.',
    placeholder: 'default',
    values: HISTORY_PERIODS,
    clearable: true,
  },
  periods: {
    name: 'periods',
    label: 'Periods',
    kind: 'number',
    width: 10,
    labelWidth: NEXT_LABEL_WIDTH,
    tooltip: `How many past periods, ${MIN_PERIODS} to ${MAX_PERIODS}.`,
    default: 6,
    placeholder: 'default',
    min: MIN_PERIODS,
    max: MAX_PERIODS,
    integer: true,
    invalidText: `${MIN_PERIODS} to ${MAX_PERIODS}`,
  },
  share: {
    name: 'share',
    label: 'Share',
    kind: 'number',
    width: 10,
    labelWidth: NEXT_LABEL_WIDTH,
    tooltip: 'The share of past windows an objective must meet to count as achievable, in (0, 1].',
    default: 0.9,
    min: 0,
    minExclusive: true,
    max: 1,
    step: 0.05,
    invalidText: 'between 0 (excluded) and 1',
  },
  objectives: {
    name: 'objectives',
    label: 'What if',
    ariaLabel: 'Objectives',
    kind: 'text',
    width: 24,
    labelWidth: NEXT_LABEL_WIDTH,
    tooltip: 'Objectives to test against the past windows, in percent.',
    placeholder: '99, 99.5, 99.9',
  },
  timeZone: {
    name: 'timeZone',
    label: 'Time zone',
    kind: 'text',
    width: 20,
    labelWidth: NEXT_LABEL_WIDTH,
    tooltip: "IANA time zone of calendar periods, e.g. Europe/Berlin. Empty: the SLO's own zone.",
    placeholder: "SLO's zone",
  },
  completeOnly: {
    name: 'completeOnly',
    label: 'Complete only',
    ariaLabel: 'Complete periods only',
    kind: 'switch',
    labelWidth: LABEL_WIDTH,
    tooltip: 'Leave partial periods (data starts mid-period, or the period is still running) out of the summary.',
    default: false,
  },
  signal: {
    name: 'signal',
    label: 'Signal',
    kind: 'text',
    width: 24,
    labelWidth: LABEL_WIDTH,
    tooltip: "A happiness signal's name from the SLO definition. Empty: all.",
    placeholder: 'all signals',
  },
  interval: {
    name: 'interval',
    label: 'Interval',
    kind: 'text',
    width: 10,
    labelWidth: NEXT_LABEL_WIDTH,
    tooltip: 'The interval SLI and signal are compared at.',
    default: '1h',
  },
  maxLag: {
    name: 'maxLag',
    label: 'Max lag',
    kind: 'number',
    width: 10,
    labelWidth: NEXT_LABEL_WIDTH,
    tooltip: 'The largest lag tried, in intervals.',
    default: 6,
    min: 0,
  },
};

/** The options every query type shows, in editor order. */
export const COMMON_OPTIONS: QueryOptionName[] = ['slo', 'service', 'labels'];

/** Which options each query type shows besides the common ones, in editor order. */
export const OPTIONS_BY_TYPE = Object.fromEntries(QUERY_TYPES.map((t) => [t.value, [...t.options]])) as Record<
  QueryType,
  QueryOptionName[]
>;

/** The field of an option as a query type shows it. */
export function optionFor(name: QueryOptionName, type: QueryType): FieldSpec {
  const { byType, ...spec } = QUERY_OPTIONS[name];
  return { ...spec, ...byType?.[type] };
}

/** The picker of the query type. */
export const QUERY_TYPE_FIELD: FieldSpec = {
  name: 'queryType',
  label: 'Query type',
  kind: 'select',
  id: 'nines-query-type',
  width: 24,
  labelWidth: LABEL_WIDTH,
  default: DEFAULT_QUERY_TYPE,
  values: QUERY_TYPES.map((t) => ({ value: t.value, label: t.label, description: t.description })),
};
