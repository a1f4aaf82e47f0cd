#!/usr/bin/env bash
# Front-end checks of Nines: install (npm ci), typecheck, lint, jest, webpack build, the
# browser tests (editors and HTML report in Chromium), then
# the docker-compose file: `docker-compose config` and the host paths it mounts or builds
# from (src/__tests__/compose.test.ts checks those paths again inside jest).
set -euo pipefail
cd "$(dirname "$0")/.."

step() {
  local name=$1
  shift
  local start=$SECONDS
  echo "== front end: $name"
  "$@"
  echo "== front end: $name ok ($((SECONDS - start)) s)"
}

step "npm ci" npm ci --no-audit --no-fund
step "typecheck" npm run typecheck
step "lint" npm run lint
step "jest" npm run test:ci
step "build" npm run build

# The editors' test page and the HTML report in Debian's Chromium (browser/; scripts/test.sh
# installs it): skipped with a message without Chromium, failing under CI=true.
step "browser tests" npm run test:browser

for f in module.js plugin.json img/logo.svg README.md LICENSE CHANGELOG.md; do
  if [ ! -f "dist/$f" ]; then
    echo "dist/$f is missing after the build" >&2
    exit 1
  fi
done

if ! command -v docker-compose >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null
  else
    echo "docker-compose is missing: apt-get install -y docker-compose (as root)" >&2
    exit 1
  fi
fi
step "docker-compose config" docker-compose -f docker-compose.yaml config -q

check_compose_paths() {
  node - <<'JS'
const fs = require('fs');
const path = require('path');
const { parse } = require('yaml');
const compose = parse(fs.readFileSync('docker-compose.yaml', 'utf8'));
const produced = new Set(['dist']); // made by the build
const missing = [];
let checked = 0;
const check = (service, p, what) => {
  checked++;
  const rel = path.normalize(p);
  if (!produced.has(rel.split(path.sep)[0]) && !fs.existsSync(rel)) {
    missing.push(`${service}: ${what} ${p}`);
  }
};
for (const [name, svc] of Object.entries(compose.services)) {
  if (svc.build) {
    const ctx = typeof svc.build === 'string' ? svc.build : svc.build.context;
    check(name, ctx, 'build context');
    check(name, path.join(ctx, (svc.build && svc.build.dockerfile) || 'Dockerfile'), 'Dockerfile');
  }
  for (const v of svc.volumes || []) {
    const src = typeof v === 'string' ? v.split(':')[0] : v.type === 'bind' ? v.source : undefined;
    if (src && (src.startsWith('.') || src.startsWith('/'))) check(name, src, 'mount');
  }
  for (const f of [].concat(svc.env_file || [])) check(name, f, 'env_file');
}
if (missing.length) {
  console.error('docker-compose.yaml refers to paths that do not exist:\n  ' + missing.join('\n  '));
  process.exit(1);
}
console.log(`${checked} host paths of docker-compose.yaml exist`);
JS
}
step "docker-compose host paths" check_compose_paths
