#!/usr/bin/env bash
# Runs every test of Nines on a fresh machine: installs what the tests need
# (Debian's prometheus and victoria-metrics for the integration tests, Go
# modules, npm packages, Debian's chromium for the browser tests), then runs go vet, the Go tests with the race detector
# (against a real Prometheus and VictoriaMetrics they start on 127.0.0.1), the
# plugin build, and the front-end checks and tests.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_install() {
  if [ "$(id -u)" != 0 ]; then
    echo "missing $*: install it (apt-get install -y $*) or run this script as root" >&2
    exit 1
  fi
  if [ -z "${NINES_APT_UPDATED:-}" ]; then
    apt-get update -qq
    NINES_APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

command -v promtool >/dev/null && command -v prometheus >/dev/null || apt_install prometheus
command -v victoria-metrics >/dev/null || apt_install victoria-metrics
command -v docker-compose >/dev/null || apt_install docker-compose
command -v gcc >/dev/null || apt_install gcc libc6-dev # go test -race needs cgo
[ -x /usr/bin/chromium ] || apt_install chromium chromium-driver # browser tests (npm run test:browser)

echo "== go: modules, format, vet"
go mod download
unformatted=$(gofmt -l pkg Magefile.go)
if [ -n "$unformatted" ]; then
  echo "gofmt needed on: $unformatted" >&2
  exit 1
fi
go vet ./pkg/...

echo "== go: build the plugin binary"
go tool mage -v build:linux

echo "== front end"
if [ -f package.json ]; then
  bash scripts/frontend-test.sh
fi

echo "== go: tests with -race (unit, golden frames, integration against a real Prometheus and VictoriaMetrics, end to end over gRPC)"
CI="${CI:-}" go test -race -count=1 -timeout 60m ./pkg/...

echo "== go: fuzz targets, ${FUZZTIME:-10s} each (a crasher lands in the package's testdata/fuzz)"
for target in \
  "FuzzNative ./pkg/definitions/" \
  "FuzzOpenSLO ./pkg/definitions/" \
  "FuzzQueryModel ./pkg/models/" \
  "FuzzBuilders ./pkg/promql/" \
  "FuzzValidate ./pkg/plugin/" \
  "FuzzRawDecode ./pkg/source/"; do
  set -- $target
  go test -run '^$' -fuzz "^$1\$" -fuzztime "${FUZZTIME:-10s}" -timeout 120s "$2"
done
