import React from 'react';
import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { DataSourceSettings } from '@grafana/data';

import { ConfigEditor } from '../components/ConfigEditor';
import { formatDefinitionError } from '../format';
import { NinesOptions, NinesSecureJsonData } from '../types';

const post = jest.fn();

jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getBackendSrv: () => ({ post }),
}));

// Monaco does not run in jsdom: a textarea stands in for the code editor.
jest.mock('@grafana/ui', () => {
  const actual = jest.requireActual('@grafana/ui');
  return {
    ...actual,
    CodeEditor: (props: {
      value: string;
      language: string;
      onChange?: (v: string) => void;
      onBlur?: (v: string) => void;
    }) => (
      <textarea
        aria-label={`code editor (${props.language})`}
        defaultValue={props.value}
        onChange={(e) => props.onChange?.(e.currentTarget.value)}
        onBlur={(e) => props.onBlur?.(e.currentTarget.value)}
      />
    ),
  };
});

function options(
  patch: Partial<DataSourceSettings<NinesOptions, NinesSecureJsonData>> = {}
): DataSourceSettings<NinesOptions, NinesSecureJsonData> {
  return {
    id: 1,
    uid: 'nines-uid',
    orgId: 1,
    name: 'Nines SLO',
    type: 'nines-slo-datasource',
    typeName: 'Nines SLO',
    typeLogoUrl: '',
    access: 'proxy',
    url: 'http://prometheus:9090',
    user: '',
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- required by the type
    database: '',
    basicAuth: false,
    basicAuthUser: '',
    isDefault: false,
    jsonData: {},
    secureJsonFields: {},
    readOnly: false,
    withCredentials: false,
    ...patch,
  };
}

const BAD_YAML = `service: checkout
slos:
  - name: checkout-availability
    objective: 120
    window: 28x
`;

beforeEach(() => post.mockReset());

describe('ConfigEditor', () => {
  it('validates the inline YAML with the backend and lists every error with its line', async () => {
    post.mockResolvedValue({
      valid: false,
      slos: [],
      errors: [
        { file: 'inline', line: 4, slo: 'checkout-availability', message: 'objective 120 is outside (0, 100)' },
        { file: 'inline', line: 5, slo: 'checkout-availability', message: 'bad duration "28x"' },
      ],
    });
    const onOptionsChange = jest.fn();
    render(<ConfigEditor options={options()} onOptionsChange={onOptionsChange} />);

    const editor = screen.getByLabelText('code editor (yaml)');
    await userEvent.click(editor);
    await userEvent.paste(BAD_YAML);
    await userEvent.click(screen.getByRole('button', { name: /validate/i }));

    await waitFor(() => expect(post).toHaveBeenCalledTimes(1));
    expect(post.mock.calls[0][0]).toBe('/api/datasources/uid/nines-uid/resources/validate');
    expect(post.mock.calls[0][1]).toEqual({ yaml: BAD_YAML, name: 'inline' });

    const list = await screen.findByRole('list', { name: 'Validation errors' });
    expect(list).toHaveTextContent('line 4: checkout-availability: objective 120 is outside (0, 100)');
    expect(list).toHaveTextContent('line 5: checkout-availability: bad duration "28x"');
    expect(screen.getByText('2 errors in the inline definitions')).toBeInTheDocument();

    // Leaving the editor stores the YAML in jsonData.definitions.
    expect(onOptionsChange).toHaveBeenCalledWith(
      expect.objectContaining({ jsonData: expect.objectContaining({ definitions: BAD_YAML }) })
    );
  });

  it('reports valid definitions with their SLOs', async () => {
    post.mockResolvedValue({ valid: true, slos: ['checkout-availability'], errors: [] });
    render(
      <ConfigEditor options={options({ jsonData: { definitions: 'service: x\n' } })} onOptionsChange={jest.fn()} />
    );
    await userEvent.click(screen.getByRole('button', { name: /validate/i }));
    expect(await screen.findByText('Valid: 1 SLO')).toBeInTheDocument();
    expect(post.mock.calls[0][1]).toEqual({ yaml: 'service: x\n', name: 'inline' });
  });

  it('shows a failed request as an error', async () => {
    post.mockRejectedValue({ status: 500, data: { message: 'plugin unavailable' } });
    render(<ConfigEditor options={options()} onOptionsChange={jest.fn()} />);
    await userEvent.click(screen.getByRole('button', { name: /validate/i }));
    expect(await screen.findByText('plugin unavailable')).toBeInTheDocument();
  });

  it('shows secrets only as configured, never their values', () => {
    render(
      <ConfigEditor
        options={options({
          basicAuth: true,
          basicAuthUser: 'grafana',
          secureJsonFields: { basicAuthPassword: true, httpHeaderValue1: true },
          jsonData: { httpHeaderName1: 'X-Scope-OrgID' } as NinesOptions,
        })}
        onOptionsChange={jest.fn()}
      />
    );
    expect(screen.getAllByDisplayValue('configured').length).toBeGreaterThanOrEqual(1);
    expect(screen.getByDisplayValue('X-Scope-OrgID')).toBeInTheDocument();
  });

  it('stores the definition paths and the advanced numbers in jsonData', async () => {
    const onOptionsChange = jest.fn();
    render(<ConfigEditor options={options()} onOptionsChange={onOptionsChange} />);
    await userEvent.type(screen.getByPlaceholderText('/etc/nines/slos'), '/etc/nines/slos{enter}');
    expect(onOptionsChange).toHaveBeenLastCalledWith(
      expect.objectContaining({ jsonData: expect.objectContaining({ definitionPaths: ['/etc/nines/slos'] }) })
    );

    await userEvent.click(screen.getByRole('button', { name: 'Expand section Additional settings' }));
    await userEvent.type(document.getElementById('nines-max-concurrency')!, '8');
    expect(onOptionsChange).toHaveBeenLastCalledWith(
      expect.objectContaining({ jsonData: expect.objectContaining({ maxConcurrency: 8 }) })
    );
    await userEvent.type(document.getElementById('nines-cache-mb')!, '0');
    expect(onOptionsChange).toHaveBeenLastCalledWith(
      expect.objectContaining({ jsonData: expect.objectContaining({ cacheMB: 0 }) })
    );
    expect(document.getElementById('nines-cache-mb')).toHaveAttribute('placeholder', '128');

    // The editor is controlled and the test does not re-render it: paste whole values.
    await userEvent.click(document.getElementById('nines-time-interval')!);
    await userEvent.paste('30s');
    expect(onOptionsChange).toHaveBeenLastCalledWith(
      expect.objectContaining({ jsonData: expect.objectContaining({ timeInterval: '30s' }) })
    );
    await userEvent.click(document.getElementById('nines-max-gap')!);
    await userEvent.paste('2h');
    expect(onOptionsChange).toHaveBeenLastCalledWith(
      expect.objectContaining({ jsonData: expect.objectContaining({ maxGap: '2h' }) })
    );
    await userEvent.click(document.getElementById('nines-max-query-length')!);
    await userEvent.paste('30d');
    expect(onOptionsChange).toHaveBeenLastCalledWith(
      expect.objectContaining({ jsonData: expect.objectContaining({ maxQueryLength: '30d' }) })
    );

    // Raw reads are on unless turned off.
    expect(document.getElementById('nines-raw-reads')).toBeChecked();
    await userEvent.click(document.getElementById('nines-raw-reads')!);
    expect(onOptionsChange).toHaveBeenLastCalledWith(
      expect.objectContaining({ jsonData: expect.objectContaining({ rawReads: false }) })
    );

    await userEvent.click(document.getElementById('nines-range-semantics')!);
    await userEvent.click(await screen.findByRole('option', { name: /Look-behind increase \(VictoriaMetrics\)/ }));
    expect(onOptionsChange).toHaveBeenLastCalledWith(
      expect.objectContaining({ jsonData: expect.objectContaining({ rangeSemantics: 'lookbehind' }) })
    );
  });

  it('formats errors with file and line', () => {
    expect(formatDefinitionError({ file: 'slos/a.yaml', line: 3, message: 'unknown field "foo"' })).toBe(
      'slos/a.yaml line 3: unknown field "foo"'
    );
  });
});
