import { CustomVariableSupport, DataQueryRequest, DataQueryResponse, FieldType, createDataFrame } from '@grafana/data';
import { Observable, from, of } from 'rxjs';
import { map } from 'rxjs/operators';

import { VariableQueryEditor } from './components/VariableQueryEditor';
import type { DataSource } from './datasource';
import { NinesVariableQuery, SLOListResponse, VariableKind } from './types';

export interface VariableValue {
  text: string;
  value: string;
}

/** Turns GET slos into the values of a variable: SLO names, services or owners, sorted and distinct. */
export function variableValues(res: SLOListResponse, kind: VariableKind): VariableValue[] {
  const seen = new Map<string, string>();
  for (const s of res.slos) {
    if (kind === 'slos') {
      seen.set(s.name, s.name);
    } else if (kind === 'services' && s.service) {
      seen.set(s.service, s.service);
    } else if (kind === 'owners' && s.owner) {
      seen.set(s.owner, s.owner);
    }
  }
  return Array.from(seen.entries())
    .map(([value, text]) => ({ text, value }))
    .sort((a, b) => a.value.localeCompare(b.value));
}

/** Template variables listing the SLOs, services or owners from GET slos, or a grouped SLO's groups. */
export class NinesVariableSupport extends CustomVariableSupport<DataSource, NinesVariableQuery> {
  editor = VariableQueryEditor;

  constructor(private readonly datasource: DataSource) {
    super();
  }

  query(request: DataQueryRequest<NinesVariableQuery>): Observable<DataQueryResponse> {
    const q = request.targets[0] ?? { refId: 'variable', kind: 'slos' };
    const kind: VariableKind = q.kind ?? 'slos';
    const toFrame = (values: VariableValue[]) => ({
      data: [
        createDataFrame({
          refId: q.refId,
          fields: [
            { name: 'text', type: FieldType.string, values: values.map((v) => v.text) },
            { name: 'value', type: FieldType.string, values: values.map((v) => v.value) },
          ],
        }),
      ],
    });
    if (kind === 'groups') {
      if (!q.slo) {
        return of(toFrame([]));
      }
      const range = request.range ? { from: request.range.from.valueOf(), to: request.range.to.valueOf() } : undefined;
      return from(this.datasource.listGroups(q.slo, q.label, range, request.scopedVars)).pipe(
        map((res) => toFrame(res.values.map((v) => ({ text: v, value: v }))))
      );
    }
    return from(this.datasource.listSLOs({ service: q.service }, request.scopedVars)).pipe(
      map((res) => toFrame(variableValues(res, kind)))
    );
  }
}
