// Builds the editors' test page (browser/page) into browser/dist: the plugin's components with
// @grafana/ui, React and Monaco bundled in (Grafana provides them to the plugin; here nothing
// does). The loaders are those of .config/webpack, without the plugin's AMD output and externals.
import path from 'path';
import type { Configuration } from 'webpack';

import grafanaConfig from '../.config/webpack/webpack.config.ts';

const root = path.resolve(__dirname, '..');

const config = async (): Promise<Configuration> => {
  const base = await grafanaConfig({ development: true });
  const rules = (base.module?.rules ?? []).filter(
    // The first rule adds Grafana's public path to src/module.ts; the page has no module.ts.
    (r) => !(r && typeof r === 'object' && String(r.test).includes('module'))
  );
  return {
    mode: 'development',
    devtool: false,
    context: root,
    entry: { page: './browser/page/index.tsx' },
    output: {
      path: path.join(root, 'browser', 'dist'),
      filename: '[name].js',
      chunkFilename: '[name].[contenthash:8].js',
      publicPath: '/',
      clean: true,
    },
    module: { rules },
    resolve: {
      extensions: ['.js', '.jsx', '.ts', '.tsx'],
      modules: [path.join(root, 'src'), 'node_modules'],
    },
    performance: { hints: false },
    // Monaco's optional locale bundles and node-only branches are not needed in the page.
    ignoreWarnings: [/Critical dependency/],
    stats: 'errors-warnings',
    cache: { type: 'filesystem', cacheDirectory: path.join(root, 'node_modules', '.cache', 'webpack-browser') },
  };
};

export default config;
