import { CustomVariableSupport, DataQueryRequest, DataQueryResponse, FieldType, createDataFrame } from '@grafana/data';
import { Observable, from } from 'rxjs';
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

/** Template variables listing the SLOs, services or owners from GET slos. */
export class NinesVariableSupport extends CustomVariableSupport<DataSource, NinesVariableQuery> {
  editor = VariableQueryEditor;

  constructor(private readonly datasource: DataSource) {
    super();
  }

  query(request: DataQueryRequest<NinesVariableQuery>): Observable<DataQueryResponse> {
    const q = request.targets[0] ?? { refId: 'variable', kind: 'slos' };
    const kind: VariableKind = q.kind ?? 'slos';
    return from(this.datasource.listSLOs({ service: q.service }, request.scopedVars)).pipe(
      map((res) => {
        const values = variableValues(res, kind);
        const frame = createDataFrame({
          refId: q.refId,
          fields: [
            { name: 'text', type: FieldType.string, values: values.map((v) => v.text) },
            { name: 'value', type: FieldType.string, values: values.map((v) => v.value) },
          ],
        });
        return { data: [frame] };
      })
    );
  }
}
