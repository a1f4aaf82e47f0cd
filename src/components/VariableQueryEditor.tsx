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
  { label: 'Groups', value: 'groups', description: "The values of a grouped SLO's grouping label" },
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

const GROUP_SLO: FieldSpec = {
  name: 'slo',
  label: 'SLO',
  ariaLabel: 'Grouped SLO',
  kind: 'text',
  width: 40,
  labelWidth: LABEL_WIDTH,
  tooltip: 'The grouped SLO (a name or a variable such as $slo) whose groups the variable lists.',
  placeholder: 'grouped SLO name',
  commitOnBlur: true,
};

const GROUP_LABEL: FieldSpec = {
  name: 'label',
  label: 'Label',
  ariaLabel: 'Grouping label',
  kind: 'text',
  width: 40,
  labelWidth: LABEL_WIDTH,
  tooltip:
    "The grouping label whose values are listed, e.g. route. Empty: the SLO's first grouping label. Use the variable in a query's label filter (route=$route) to pick one group.",
  placeholder: 'first grouping label',
  commitOnBlur: true,
};

/** Editor of a template variable of this data source: what to list, optionally for one service, or a grouped SLO's groups. */
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
      {kind === 'groups' ? (
        <>
          <OptionField
            spec={GROUP_SLO}
            value={query.slo}
            onChange={(slo) => onChange({ ...query, refId, kind, slo: slo as string | undefined })}
          />
          <OptionField
            spec={GROUP_LABEL}
            value={query.label}
            onChange={(label) => onChange({ ...query, refId, kind, label: label as string | undefined })}
          />
        </>
      ) : (
        <OptionField
          spec={SERVICE_FILTER}
          value={query.service}
          onChange={(service) => onChange({ ...query, refId, kind, service: service as string | undefined })}
        />
      )}
    </Stack>
  );
}
