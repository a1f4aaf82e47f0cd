import React from 'react';
import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

import { QueryEditor } from '../components/QueryEditor';
import { formatLabels, parseLabels } from '../format';
import type { DataSource } from '../datasource';
import { NinesQuery, SLOListResponse } from '../types';
import { fakeTemplateSrv } from '../testutils/fakeTemplateSrv';

const templateSrv = fakeTemplateSrv({ slo: 'checkout-availability', service: 'checkout' });

jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getTemplateSrv: () => templateSrv,
}));

const LIST: SLOListResponse = {
  slos: [
    {
      name: 'checkout-availability',
      displayName: 'Checkout availability',
      service: 'checkout',
      owner: 'team-payments',
      objective: 99.9,
      window: '28d',
      indicator: 'ratio',
    },
    {
      name: 'search-availability',
      displayName: 'Search availability',
      service: 'search',
      objective: 99.5,
      window: '7d',
      indicator: 'ratio',
    },
  ],
  errors: [{ file: '/etc/nines/slos/bad.yaml', line: 12, slo: 'broken', message: 'unknown field "objectiv"' }],
};

function fakeDatasource() {
  return {
    listSLOs: jest.fn().mockResolvedValue(LIST),
    getSLO: jest.fn().mockResolvedValue({
      slo: { name: 'checkout-availability' },
      promql: {
        handWritten: 'sum(increase(good[28d])) / sum(increase(total[28d]))',
        good: 'sum(increase(http_requests_total{job="checkout",code!~"5.."}[5m]))',
        total: 'sum(increase(http_requests_total{job="checkout"}[5m]))',
      },
      errors: [],
    }),
  };
}

function setup(query: Partial<NinesQuery> = {}) {
  const ds = fakeDatasource();
  const onChange = jest.fn();
  const onRunQuery = jest.fn();
  const props = {
    query: { refId: 'A', ...query } as NinesQuery,
    onChange,
    onRunQuery,
    datasource: ds as unknown as DataSource,
  };
  const view = render(<QueryEditor {...props} />);
  return { ds, onChange, onRunQuery, view, props };
}

describe('QueryEditor', () => {
  it('defaults to the status type and describes it', async () => {
    const { ds } = setup();
    await waitFor(() => expect(ds.listSLOs).toHaveBeenCalled());
    expect(screen.getByTestId('nines-query-type-description')).toHaveTextContent(/one row per SLO/);
    expect(screen.queryByLabelText('Window')).not.toBeInTheDocument();
    expect(screen.queryByLabelText('Periods')).not.toBeInTheDocument();
  });

  it('switches the query type and shows only the options that apply', async () => {
    const { onChange, onRunQuery, view, props } = setup();
    await userEvent.click(document.getElementById('nines-query-type')!);
    await userEvent.click(await screen.findByRole('option', { name: /History/ }));
    expect(onChange).toHaveBeenLastCalledWith(expect.objectContaining({ queryType: 'history' }));
    expect(onRunQuery).toHaveBeenCalled();

    view.rerender(<QueryEditor {...props} query={{ refId: 'A', queryType: 'history' }} />);
    expect(screen.getByTestId('nines-query-type-description')).toHaveTextContent(/past windows/);
    expect(screen.getByLabelText('Periods')).toBeInTheDocument();
    expect(screen.getByLabelText('Share')).toHaveAttribute('placeholder', '0.9');
    expect(screen.getByLabelText('Objectives')).toBeInTheDocument();
    expect(screen.getByLabelText('Time zone')).toBeInTheDocument();
    expect(screen.getByLabelText('Window')).toHaveAttribute('placeholder', 'SLO window');
    expect(screen.queryByLabelText('Signal')).not.toBeInTheDocument();
    await userEvent.click(screen.getByLabelText('Complete periods only'));
    expect(onChange).toHaveBeenLastCalledWith(expect.objectContaining({ queryType: 'history', completeOnly: true }));

    view.rerender(<QueryEditor {...props} query={{ refId: 'A', queryType: 'happiness' }} />);
    expect(screen.getByLabelText('Signal')).toBeInTheDocument();
    expect(screen.getByLabelText('Interval')).toHaveAttribute('placeholder', '1h');
    expect(screen.getByLabelText('Max lag')).toHaveAttribute('placeholder', '6');
    expect(screen.queryByLabelText('Periods')).not.toBeInTheDocument();

    view.rerender(<QueryEditor {...props} query={{ refId: 'A', queryType: 'sli' }} />);
    expect(screen.getByLabelText('Window')).toHaveAttribute('placeholder', 'SLO window');

    view.rerender(<QueryEditor {...props} query={{ refId: 'A', queryType: 'budget' }} />);
    expect(screen.getByLabelText('Window')).toHaveAttribute('placeholder', 'SLO window');
    expect(screen.queryByLabelText('Signal')).not.toBeInTheDocument();
  });

  it('sets the window of a rolling history', async () => {
    const { onChange, onRunQuery } = setup({ queryType: 'history', period: 'rolling' });
    await userEvent.click(screen.getByLabelText('Window'));
    await userEvent.paste('30d');
    expect(onChange).toHaveBeenLastCalledWith(
      expect.objectContaining({ queryType: 'history', period: 'rolling', window: '30d' })
    );
    await userEvent.tab();
    expect(onRunQuery).toHaveBeenCalled();
  });

  it('fills the SLO picker from GET slos and offers the template variables', async () => {
    const { ds, onChange } = setup();
    await waitFor(() => expect(ds.listSLOs).toHaveBeenCalled());
    await act(async () => {});
    await userEvent.click(document.getElementById('nines-slo')!);
    const options = await screen.findAllByRole('option');
    const names = options.map((o) => o.textContent ?? '');
    expect(names.some((n) => n.includes('checkout-availability'))).toBe(true);
    expect(names.some((n) => n.includes('search-availability'))).toBe(true);
    expect(names.some((n) => n.includes('$slo'))).toBe(true);
    expect(names.some((n) => n.includes('$service'))).toBe(true);

    await userEvent.click(options.find((o) => (o.textContent ?? '').includes('search-availability'))!);
    expect(onChange).toHaveBeenLastCalledWith(expect.objectContaining({ slo: 'search-availability' }));
  });

  it('accepts a custom value (a regex) in the SLO picker', async () => {
    const { ds, onChange } = setup();
    await waitFor(() => expect(ds.listSLOs).toHaveBeenCalled());
    const input = document.getElementById('nines-slo')!;
    await userEvent.click(input);
    await userEvent.type(input, 'checkout-.*');
    await userEvent.keyboard('{Enter}');
    expect(onChange).toHaveBeenLastCalledWith(expect.objectContaining({ slo: 'checkout-.*' }));
  });

  it('shows the load errors of the definitions', async () => {
    setup();
    expect(await screen.findByText(/bad\.yaml line 12: broken: unknown field "objectiv"/)).toBeInTheDocument();
  });

  it('shows the generated PromQL of the chosen SLO, also through a variable', async () => {
    const { ds } = setup({ slo: '$slo' });
    await userEvent.click(screen.getByText('PromQL'));
    await waitFor(() => expect(ds.getSLO).toHaveBeenCalledWith('checkout-availability'));
    expect(await screen.findByLabelText('Good events')).toHaveTextContent('code!~"5.."');
    expect(screen.getByLabelText('SLI over the window')).toHaveTextContent('sum(increase(good[28d]))');
  });

  it('asks for one SLO before showing PromQL for a regex', async () => {
    const { ds } = setup({ slo: 'checkout-.*' });
    await userEvent.click(screen.getByText('PromQL'));
    expect(screen.getByText(/Pick one SLO/)).toBeInTheDocument();
    expect(ds.getSLO).not.toHaveBeenCalled();
  });

  it('writes labels as an object', async () => {
    const { onChange } = setup();
    const labels = screen.getByLabelText('Labels');
    await userEvent.type(labels, 'tier=1, team=payments');
    await userEvent.tab();
    expect(onChange).toHaveBeenLastCalledWith(expect.objectContaining({ labels: { tier: '1', team: 'payments' } }));
    expect(parseLabels('')).toBeUndefined();
    expect(formatLabels({ a: 'b', c: 'd' })).toBe('a=b, c=d');
  });

  it('lists the services in the service picker', async () => {
    const { ds } = setup();
    await waitFor(() => expect(ds.listSLOs).toHaveBeenCalled());
    await act(async () => {});
    await userEvent.click(document.getElementById('nines-service')!);
    const listbox = await screen.findByRole('listbox');
    expect(within(listbox).getByText('search')).toBeInTheDocument();
  });
});
