// The browser tests (npm run test:browser): Node environment, Chromium through playwright-core.
// Not part of the default jsdom run (jest.config.js matches src/ only).
const path = require('path');
const base = require('../.config/jest.config');

module.exports = {
  rootDir: path.resolve(__dirname, '..'),
  testEnvironment: 'node',
  testMatch: ['<rootDir>/browser/**/*.test.ts'],
  transform: base.transform,
  // Building nothing here: run.mjs builds the page first. A browser and `go run` take a while
  // on a loaded 2-core machine.
  testTimeout: 240000,
  maxWorkers: 1,
};
