// force timezone to UTC to allow tests to work regardless of local timezone
// generally used by snapshots, but can affect specific tests
process.env.TZ = 'UTC';

const base = require('./.config/jest.config');

const swc = base.transform['^.+\\.(t|j)sx?$'];

module.exports = {
  // Jest configuration provided by Grafana scaffolding
  ...base,
  moduleNameMapper: {
    ...base.moduleNameMapper,
    // jsdom would pick yaml's ESM browser build; the tests read files with its CommonJS build.
    '^yaml$': require.resolve('yaml'),
  },
  transform: {
    ...base.transform,
    // d3-color (through @grafana/data) ships only .mjs files: transform them too.
    '^.+\\.mjs$': swc,
  },
};
