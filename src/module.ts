import { DataSourcePlugin } from '@grafana/data';

import { ConfigEditor } from './components/ConfigEditor';
import { QueryEditor } from './components/QueryEditor';
import { DataSource } from './datasource';
import { NinesOptions, NinesQuery, NinesSecureJsonData } from './types';

export const plugin = new DataSourcePlugin<DataSource, NinesQuery, NinesOptions, NinesSecureJsonData>(DataSource)
  .setConfigEditor(ConfigEditor)
  .setQueryEditor(QueryEditor);
