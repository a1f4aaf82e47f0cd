import React from 'react';
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { DataSourceApi } from '@grafana/data';

import { VariableQueryEditor } from '../components/VariableQueryEditor';
import { NinesOptions, NinesQuery, NinesVariableQuery } from '../types';

function setup(query: Partial<NinesVariableQuery> = {}) {
  const onChange = jest.fn();
  render(
    <VariableQueryEditor
      query={{ refId: 'NinesVariableQuery', kind: 'slos', ...query } as NinesVariableQuery}
      onChange={onChange}
      onRunQuery={jest.fn()}
      datasource={{} as DataSourceApi<NinesQuery, NinesOptions>}
    />
  );
  return onChange;
}

describe('VariableQueryEditor', () => {
  it('lists SLOs, services or owners', async () => {
    const onChange = setup();
    expect(screen.getByLabelText('SLOs')).toBeChecked();
    await userEvent.click(screen.getByText('Services'));
    expect(onChange).toHaveBeenLastCalledWith({ refId: 'NinesVariableQuery', kind: 'services' });
    await userEvent.click(screen.getByText('Owners'));
    expect(onChange).toHaveBeenLastCalledWith({ refId: 'NinesVariableQuery', kind: 'owners' });
  });

  it("lists a grouped SLO's groups by one of its labels", async () => {
    const onChange = setup({ kind: 'groups' });
    expect(screen.queryByLabelText('Service filter')).not.toBeInTheDocument();
    await userEvent.type(screen.getByLabelText('Grouped SLO'), 'api');
    await userEvent.tab();
    expect(onChange).toHaveBeenLastCalledWith({ refId: 'NinesVariableQuery', kind: 'groups', slo: 'api' });
    await userEvent.type(screen.getByLabelText('Grouping label'), 'route');
    await userEvent.tab();
    expect(onChange).toHaveBeenLastCalledWith({ refId: 'NinesVariableQuery', kind: 'groups', label: 'route' });
  });

  it('filters by service, which may be another variable', async () => {
    const onChange = setup();
    await userEvent.type(screen.getByLabelText('Service filter'), '$service');
    await userEvent.tab();
    expect(onChange).toHaveBeenLastCalledWith({ refId: 'NinesVariableQuery', kind: 'slos', service: '$service' });
  });
});
