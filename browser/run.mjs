// npm run test:browser: builds the editors' test page, then runs the browser tests (jest,
// browser/jest.config.js) in Debian's Chromium. Without Chromium they are skipped with a message,
// except under CI=true, where a missing Chromium fails the run.
import { spawnSync } from 'child_process';
import fs from 'fs';

const chromium = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
if (!fs.existsSync(chromium)) {
  const msg = `no Chromium at ${chromium}: install it with apt-get install -y chromium (or set CHROMIUM_PATH)`;
  if (process.env.CI === 'true') {
    console.error(`browser tests: ${msg}; CI=true, so this fails`);
    process.exit(1);
  }
  console.log(`browser tests skipped: ${msg}`);
  process.exit(0);
}

const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) {
    process.exit(r.status ?? 1);
  }
};
run('npx', ['webpack', '-c', './browser/webpack.config.ts']);
run('npx', ['jest', '-c', 'browser/jest.config.js', ...process.argv.slice(2)]);
