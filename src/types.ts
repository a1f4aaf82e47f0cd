import { DataSourceJsonData } from '@grafana/data';
import { DataQuery } from '@grafana/schema';

/** The query types, in the order the editor offers them, with a one-line description and
 * their options each: adding a query type on this side is one entry here. */
export const QUERY_TYPES = [
  {
    value: 'status',
    label: 'Status',
    description:
      'A table, one row per SLO: SLI, error budget left, burn rates (1h, 6h), time to exhaustion, status, owner and user story.',
    options: [],
  },
  {
    value: 'sli',
    label: 'SLI',
    description: 'Time series of the SLI over the SLO window (or the given window), one per SLO.',
    options: ['window'],
  },
  {
    value: 'budget',
    label: 'Error budget',
    description: 'Time series of the error budget remaining (rolling, or resetting at calendar boundaries).',
    options: ['window'],
  },
  {
    value: 'burnRate',
    label: 'Burn rate',
    description:
      'Time series of burn rates over the alerting windows (1 spends exactly the budget over the SLO window).',
    options: ['window'],
  },
  {
    value: 'history',
    label: 'History',
    description:
      'A table of past windows (SLI, met or not, budget used) with the share met, the achievable objective and a recommendation.',
    options: ['period', 'periods', 'share', 'objectives', 'timeZone', 'completeOnly', 'window'],
  },
  {
    value: 'happiness',
    label: 'Happiness',
    description:
      'Correlation between the SLI and a signal of unhappy users (support tickets, cancellations), with the best lag.',
    options: ['signal', 'interval', 'maxLag'],
  },
  {
    value: 'catalog',
    label: 'Catalog',
    description:
      'The documentation table: every SLO with description, user story, owner, indicator and generated PromQL.',
    options: [],
  },
  {
    value: 'alerts',
    label: 'Alerts',
    description:
      'One row per SLO and burn-rate alert window pair: long and short burn rates, factor, state; ready for Grafana alert rules.',
    options: [],
  },
] as const satisfies ReadonlyArray<{
  value: string;
  label: string;
  description: string;
  /** The options the type shows besides the common ones, in editor order. */
  options: readonly QueryOptionName[];
}>;

/** What a query computes. The backend answers exactly these. */
export type QueryType = (typeof QUERY_TYPES)[number]['value'];

export interface QueryTypeInfo {
  value: QueryType;
  label: string;
  description: string;
}

export const QUERY_TYPE_VALUES: QueryType[] = QUERY_TYPES.map((t) => t.value);

/** The pattern every SLO name matches; the backend's, checked by the contract test. */
export const SLO_NAME_PATTERN = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

export const DEFAULT_QUERY_TYPE: QueryType = 'status';

export type HistoryPeriod = 'week' | 'month' | 'quarter' | 'rolling';

export const HISTORY_PERIODS: HistoryPeriod[] = ['week', 'month', 'quarter', 'rolling'];

/** The JSON of a query, as the backend reads it. */
export interface NinesQuery extends DataQuery {
  queryType?: QueryType;
  /** A name, a regex or a template variable; empty means all SLOs. */
  slo?: string;
  service?: string;
  labels?: Record<string, string>;
  /** Duration such as "1h" (sli: overrides the SLO window; burnRate: one window). */
  window?: string;
  period?: HistoryPeriod;
  /** Number of past periods, 1..120. */
  periods?: number;
  /** Share of windows that must meet an objective, in (0, 1]. */
  share?: number;
  /** Comma-separated percents, e.g. "99, 99.5, 99.9". */
  objectives?: string;
  /** IANA time zone of calendar history periods; empty means the SLO's zone. */
  timeZone?: string;
  /** Leave partial periods (data starts mid-period, or still running) out of the summary. */
  completeOnly?: boolean;
  signal?: string;
  interval?: string;
  maxLag?: number;
}

/** The options a query may set (everything of the query model but its type and DataQuery's fields). */
export type QueryOptionName = Exclude<keyof NinesQuery, 'queryType' | 'refId' | 'hide' | 'key' | 'datasource'>;

export const DEFAULT_QUERY: Partial<NinesQuery> = {
  queryType: DEFAULT_QUERY_TYPE,
};

/** Options of a data-source instance (jsonData); the backend reads exactly these. */
export interface NinesOptions extends DataSourceJsonData {
  /** Per-request timeout in seconds. */
  timeout?: number;
  maxConcurrency?: number;
  /** Files or folders on the Grafana host holding SLO definitions. */
  definitionPaths?: string[];
  /** Inline YAML holding SLO definitions. */
  definitions?: string;
  /** Memory of the cache of past chunks, in MB; 0 turns it off, unset means 128. */
  cacheMB?: number;
  /** Former entry-counted cache size: 0 turns the cache off when cacheMB is unset; otherwise ignored. */
  cacheEntries?: number;
  /** The longest span of one request to the source, e.g. "30d"; unset means no bound. */
  maxQueryLength?: string;
  /** The largest answer read from the metrics source, in MB; unset means 64. */
  maxResponseMB?: number;
  /** How per-bucket counter growth is asked of the source; unset means "auto" (probe). */
  rangeSemantics?: RangeSemantics;
  /** The scrape interval of the source, as in Grafana's Prometheus data source (e.g. "30s"). */
  timeInterval?: string;
  /** The longest monitoring gap whose counter growth is still counted (e.g. "1h"). */
  maxGap?: string;
  /** Raw reads through Prometheus's remote-read API for status panels; unset means on. */
  rawReads?: boolean;
}

/** How Nines asks the source for per-bucket counter growth. "closed" and "leftOpen" are
 * the values of earlier versions; the backend reads them as "lastSample". */
export type RangeSemantics = 'auto' | 'lastSample' | 'anchored' | 'lookbehind' | 'closed' | 'leftOpen';

export const RANGE_SEMANTICS: Array<{ value: RangeSemantics; label: string; description: string }> = [
  { value: 'auto', label: 'Detect', description: 'Ask the source once (default)' },
  {
    value: 'lastSample',
    label: 'Last samples (any source)',
    description: 'last_over_time differences; Prometheus 2.x and 3.x',
  },
  {
    value: 'anchored',
    label: 'Anchored (Prometheus 3 with extended range selectors)',
    description: 'increase(x[r] anchored)',
  },
  {
    value: 'lookbehind',
    label: 'Look-behind increase (VictoriaMetrics)',
    description: 'increase() starts at the sample before the range',
  },
];

/** Secrets, sent to the backend only and shown as "configured" afterwards. */
export interface NinesSecureJsonData {
  basicAuthPassword?: string;
  tlsCACert?: string;
  tlsClientCert?: string;
  tlsClientKey?: string;
  [httpHeaderValue: string]: string | undefined;
}

export interface SourceLocation {
  file: string;
  line: number;
}

export interface DefinitionError extends SourceLocation {
  slo?: string;
  message: string;
}

export interface SLOSummary {
  name: string;
  displayName: string;
  service: string;
  owner?: string;
  objective: number;
  window: string;
  indicator: string;
  labels?: Record<string, string>;
  description?: string;
  userStory?: string;
  source?: SourceLocation;
  format?: string;
  /** The labels a grouped SLO fans out by (one SLO per group). */
  grouping?: string[];
}

/** GET slos */
export interface SLOListResponse {
  slos: SLOSummary[];
  errors: DefinitionError[];
}

export interface SLOListFilters {
  service?: string;
  slo?: string;
  owner?: string;
}

export interface GeneratedPromQL {
  handWritten?: string;
  goodOrBad?: string;
  good?: string;
  bad?: string;
  total?: string;
  error?: string;
}

/** GET slos/{name} */
export interface SLODetailResponse {
  slo: Record<string, unknown> | null;
  promql?: GeneratedPromQL;
  /** The Prometheus rule file `nines rules` writes for this SLO. */
  rules?: string;
  /** The format the SLO was written in: native, openslo, sloth or pyrra. */
  format?: string;
  errors: DefinitionError[];
}

/** POST validate */
export interface ValidateResponse {
  valid: boolean;
  slos: string[];
  errors: DefinitionError[];
}

/** What a template variable of this data source lists. */
export type VariableKind = 'slos' | 'services' | 'owners' | 'groups';

export interface NinesVariableQuery extends DataQuery {
  kind: VariableKind;
  /** Optional filter on the service (a name, regex or variable). */
  service?: string;
  /** groups: the grouped SLO whose groups are listed (a name or a variable). */
  slo?: string;
  /** groups: the grouping label whose values are listed; empty: the SLO's first. */
  label?: string;
}

/** GET slos/{name}/groups: a grouped SLO's groups over a time range. */
export interface GroupsResponse {
  grouping: string[];
  groups: Array<Record<string, string>>;
  values: string[];
  warnings: string[];
}
