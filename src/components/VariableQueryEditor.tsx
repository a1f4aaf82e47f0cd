import React from 'react';
import { DataSourceApi, QueryEditorProps, SelectableValue } from '@grafana/data';
import { InlineField, RadioButtonGroup, Stack } from '@grafana/ui';

import { NinesOptions, NinesQuery, NinesVariableQuery, VariableKind } from '../types';
import { FieldSpec, OptionField } from './OptionField';

type Props = QueryEditorProps<DataSourceApi<NinesQuery, NinesOptions>, NinesQuery, NinesOptions, NinesVariableQuery>;

const KINDS: Array<SelectableValue<VariableKind>> = [
  { label: 'SLOs', value: 'slos', description: 'The names of the loaded SLOs' },
  { label: 'Services', value: 'services', description: 'The services that have SLOs' },
  { label: 'Owners', value: 'owners', description: 'The owners of the SLOs' },
];

const LABEL_WIDTH = 16;

const SERVICE_FILTER: FieldSpec = {
  name: 'service',
  label: 'Service',
  ariaLabel: 'Service filter',
  kind: 'text',
  width: 40,
  labelWidth: LABEL_WIDTH,
  tooltip: 'Only SLOs of this service (a name, a regular expression or another variable such as $service). Empty: all.',
  placeholder: 'all services',
  commitOnBlur: true,
};

/** Editor of a template variable of this data source: what to list, optionally for one service. */
export function VariableQueryEditor({ query, onChange }: Props) {
  const kind = query.kind ?? 'slos';
  const refId = query.refId || 'NinesVariableQuery';
  return (
    <Stack direction="column" gap={1}>
      <InlineField label="List" labelWidth={LABEL_WIDTH} tooltip="What the variable's values are">
        <RadioButtonGroup<VariableKind>
          options={KINDS}
          value={kind}
          onChange={(v) => onChange({ ...query, refId, kind: v })}
        />
      </InlineField>
      <OptionField
        spec={SERVICE_FILTER}
        value={query.service}
        onChange={(service) => onChange({ ...query, refId, kind, service: service as string | undefined })}
      />
    </Stack>
  );
}
