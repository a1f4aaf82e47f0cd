import React from 'react';
import { DataSourceApi, QueryEditorProps, SelectableValue } from '@grafana/data';
import { InlineField, Input, RadioButtonGroup, Stack } from '@grafana/ui';

import { NinesOptions, NinesQuery, NinesVariableQuery, VariableKind } from '../types';

type Props = QueryEditorProps<DataSourceApi<NinesQuery, NinesOptions>, NinesQuery, NinesOptions, NinesVariableQuery>;

const KINDS: Array<SelectableValue<VariableKind>> = [
  { label: 'SLOs', value: 'slos', description: 'The names of the loaded SLOs' },
  { label: 'Services', value: 'services', description: 'The services that have SLOs' },
  { label: 'Owners', value: 'owners', description: 'The owners of the SLOs' },
];

/** Editor of a template variable of this data source: what to list, optionally for one service. */
export function VariableQueryEditor({ query, onChange }: Props) {
  const kind = query.kind ?? 'slos';
  return (
    <Stack direction="column" gap={1}>
      <InlineField label="List" labelWidth={16} tooltip="What the variable's values are">
        <RadioButtonGroup<VariableKind>
          options={KINDS}
          value={kind}
          onChange={(v) => onChange({ ...query, refId: query.refId || 'NinesVariableQuery', kind: v })}
        />
      </InlineField>
      <InlineField
        label="Service"
        labelWidth={16}
        tooltip="Only SLOs of this service (a name, a regular expression or another variable such as $service). Empty: all."
      >
        <Input
          aria-label="Service filter"
          width={40}
          placeholder="all services"
          defaultValue={query.service ?? ''}
          onBlur={(e) =>
            onChange({
              ...query,
              refId: query.refId || 'NinesVariableQuery',
              kind,
              service: e.currentTarget.value || undefined,
            })
          }
        />
      </InlineField>
    </Stack>
  );
}
