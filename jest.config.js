// force timezone to UTC to allow tests to work regardless of local timezone
// generally used by snapshots, but can affect specific tests
process.env.TZ = 'UTC';
// i18next (through @grafana/i18n) prints an advertisement on init; its documented switch turns it off.
process.env.I18NEXT_NO_SUPPORT_NOTICE = 'true';

const base = require('./.config/jest.config');

const swc = base.transform['^.+\\.(t|j)sx?$'];

module.exports = {
  // Jest configuration provided by Grafana scaffolding
  ...base,
  // Rendering Grafana's components is slow on a loaded 2-core CI machine; 5 s was seen to run out.
  testTimeout: 60000,
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
