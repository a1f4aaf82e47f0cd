import fs from 'fs';
import path from 'path';
import React from 'react';
import { render, screen } from '@testing-library/react';

import { QueryEditor } from '../components/QueryEditor';
import type { DataSource } from '../datasource';
import { COMMON_OPTIONS, OPTIONS_BY_TYPE, QUERY_OPTIONS, QueryOptionName, optionFor } from '../queryOptions';
import { HISTORY_PERIODS, NinesQuery, QUERY_TYPE_VALUES, QueryType, SLO_NAME_PATTERN } from '../types';
import { isSLOName } from '../interpolate';
import { fakeTemplateSrv } from '../testutils/fakeTemplateSrv';

jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getTemplateSrv: () => fakeTemplateSrv({}),
}));

/** The backend's contract: Go writes and checks this file; the editor must agree with it. */
interface ContractOption {
  name: string;
  default?: string | number | boolean;
  values?: string[];
  min?: number;
  max?: number;
}

interface Contract {
  namePattern: string;
  common: ContractOption[];
  types: Array<{ type: string; options: ContractOption[] }>;
}

const CONTRACT: Contract = JSON.parse(
  fs.readFileSync(path.join(__dirname, '../../pkg/models/testdata/query_types.golden.json'), 'utf8')
);

const typeCases = CONTRACT.types.map((t) => [t.type, t.options] as const);
const optionCases = CONTRACT.types.flatMap((t) => t.options.map((o) => [t.type, o.name, o] as const));

function contractOption(type: string, name: string): ContractOption {
  const option = CONTRACT.types.find((t) => t.type === type)?.options.find((o) => o.name === name);
  if (!option) {
    throw new Error(`the contract has no option ${name} for ${type}`);
  }
  return option;
}

function renderEditor(query: Partial<NinesQuery>) {
  const datasource = {
    listSLOs: jest.fn().mockReturnValue(new Promise(() => {})),
    getSLO: jest.fn(),
  } as unknown as DataSource;
  render(
    <QueryEditor
      query={{ refId: 'A', ...query } as NinesQuery}
      onChange={jest.fn()}
      onRunQuery={jest.fn()}
      datasource={datasource}
    />
  );
}

describe('the query-type contract with the backend', () => {
  it('lists the query types in editor order', () => {
    expect(QUERY_TYPE_VALUES).toEqual(CONTRACT.types.map((t) => t.type));
  });

  it('shows the common options first, in order', () => {
    expect(COMMON_OPTIONS).toEqual(CONTRACT.common.map((o) => o.name));
  });

  it.each(typeCases)('%s shows its options in order', (type, options) => {
    expect(OPTIONS_BY_TYPE[type as QueryType]).toEqual(options.map((o) => o.name));
  });

  it('has no option the contract does not know', () => {
    const known = new Set([...CONTRACT.common, ...CONTRACT.types.flatMap((t) => t.options)].map((o) => o.name));
    expect(Object.keys(QUERY_OPTIONS).filter((name) => !known.has(name))).toEqual([]);
  });

  it.each(optionCases)('%s.%s has the default, values and bounds of the contract', (type, name, option) => {
    const spec = optionFor(name as QueryOptionName, type as QueryType);
    expect(spec.default).toEqual(option.default);
    if (option.values) {
      expect(spec.values).toEqual(option.values);
    }
    if (option.min !== undefined) {
      expect(spec.min).toBe(option.min);
    }
    if (option.max !== undefined) {
      expect(spec.max).toBe(option.max);
    }
  });

  it('offers the history periods of the contract', () => {
    expect(HISTORY_PERIODS).toEqual(contractOption('history', 'period').values);
  });

  it('enforces the bounds of periods in the editor', () => {
    const { min, max } = contractOption('history', 'periods');
    expect(min).toBeDefined();
    expect(max).toBeDefined();
    const message = `${min} to ${max}`;

    renderEditor({ queryType: 'history', periods: max });
    const input = screen.getByLabelText('Periods');
    expect(input).toHaveAttribute('min', String(min));
    expect(input).toHaveAttribute('max', String(max));
    expect(screen.queryByText(message)).not.toBeInTheDocument();
  });

  it.each([
    ['above the maximum', 1],
    ['below the minimum', -1],
  ])('flags a number of periods %s', (_, side) => {
    const { min, max } = contractOption('history', 'periods');
    renderEditor({ queryType: 'history', periods: side > 0 ? max! + 1 : min! - 1 });
    expect(screen.getByText(`${min} to ${max}`)).toBeInTheDocument();
  });

  it('shows the defaults of the contract as placeholders, and the switch off', () => {
    renderEditor({ queryType: 'history' });
    expect(screen.getByLabelText('Share')).toHaveAttribute(
      'placeholder',
      String(contractOption('history', 'share').default)
    );
    expect(screen.getByLabelText('Complete periods only')).not.toBeChecked();
    expect(contractOption('history', 'completeOnly').default).toBe(false);
  });

  it('shows the happiness defaults of the contract as placeholders', () => {
    renderEditor({ queryType: 'happiness' });
    expect(screen.getByLabelText('Interval')).toHaveAttribute(
      'placeholder',
      String(contractOption('happiness', 'interval').default)
    );
    expect(screen.getByLabelText('Max lag')).toHaveAttribute(
      'placeholder',
      String(contractOption('happiness', 'maxLag').default)
    );
  });
});

describe('SLO names', () => {
  it('follow the backend pattern', () => {
    expect(SLO_NAME_PATTERN.source).toBe(CONTRACT.namePattern);
    expect(isSLOName('checkout-availability')).toBe(true);
    expect(isSLOName('-checkout')).toBe(false);
    expect(isSLOName('checkout-')).toBe(false);
    expect(isSLOName('checkout-.*')).toBe(false);
  });
});
