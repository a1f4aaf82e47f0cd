import { CoreApp, DataSourceInstanceSettings, ScopedVars } from '@grafana/data';
import { DataSourceWithBackend, getTemplateSrv } from '@grafana/runtime';

import { interpolateQuery, regexFormatter } from './interpolate';
import {
  DEFAULT_QUERY,
  GroupsResponse,
  NinesOptions,
  NinesQuery,
  SLODetailResponse,
  SLOListFilters,
  SLOListResponse,
  ValidateResponse,
} from './types';
import { NinesVariableSupport } from './variables';

export class DataSource extends DataSourceWithBackend<NinesQuery, NinesOptions> {
  constructor(instanceSettings: DataSourceInstanceSettings<NinesOptions>) {
    super(instanceSettings);
    this.variables = new NinesVariableSupport(this);
    // As in Grafana's Prometheus data source: panels never ask for points finer than the
    // scrape interval.
    this.interval = instanceSettings.jsonData.timeInterval || undefined;
  }

  getDefaultQuery(_: CoreApp): Partial<NinesQuery> {
    return DEFAULT_QUERY;
  }

  applyTemplateVariables(query: NinesQuery, scopedVars: ScopedVars): NinesQuery {
    return interpolateQuery(query, scopedVars, getTemplateSrv());
  }

  filterQuery(query: NinesQuery): boolean {
    return !query.hide;
  }

  /** GET slos: the loaded SLOs (filters may hold template variables) and the load errors. */
  async listSLOs(filters: SLOListFilters = {}, scopedVars: ScopedVars = {}): Promise<SLOListResponse> {
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(filters)) {
      if (v) {
        params[k] =
          k === 'owner'
            ? getTemplateSrv().replace(v, scopedVars)
            : getTemplateSrv().replace(v, scopedVars, regexFormatter);
      }
    }
    const res = await this.getResource<SLOListResponse>('slos', params);
    return { slos: res?.slos ?? [], errors: res?.errors ?? [] };
  }

  /** GET slos/{name}: one definition, its generated PromQL and its load errors. */
  async getSLO(name: string): Promise<SLODetailResponse> {
    const res = await this.getResource<SLODetailResponse>(`slos/${encodeURIComponent(name)}`);
    return { slo: res?.slo ?? null, promql: res?.promql, errors: res?.errors ?? [] };
  }

  /**
   * GET slos/{name}/groups: the groups of a grouped SLO between from and to (Unix ms), and
   * the distinct values of one grouping label. The SLO and label may hold variables.
   */
  async listGroups(
    slo: string,
    label: string | undefined,
    range: { from: number; to: number } | undefined,
    scopedVars: ScopedVars = {}
  ): Promise<GroupsResponse> {
    const name = getTemplateSrv().replace(slo, scopedVars);
    const params: Record<string, string> = {};
    if (label) {
      params.label = getTemplateSrv().replace(label, scopedVars);
    }
    if (range) {
      params.from = String(range.from);
      params.to = String(range.to);
    }
    const res = await this.getResource<GroupsResponse>(`slos/${encodeURIComponent(name)}/groups`, params);
    return {
      grouping: res?.grouping ?? [],
      groups: res?.groups ?? [],
      values: res?.values ?? [],
      warnings: res?.warnings ?? [],
    };
  }

  /** POST validate: checks YAML without saving it. */
  async validateDefinitions(yaml: string, name = 'inline'): Promise<ValidateResponse> {
    const res = await this.postResource<ValidateResponse>('validate', { yaml, name });
    return { valid: !!res?.valid, slos: res?.slos ?? [], errors: res?.errors ?? [] };
  }
}
