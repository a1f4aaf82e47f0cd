#!/usr/bin/env bash
# Runs every test of Nines on a fresh machine: installs what the tests need
# (Debian's prometheus for the integration tests, Go modules, npm packages),
# then runs go vet, the Go tests (against a real Prometheus they start on
# 127.0.0.1), the plugin build, and the front-end checks and tests.
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
command -v docker-compose >/dev/null || apt_install docker-compose

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

echo "== go: tests (unit, golden frames, integration against a real Prometheus, end to end over gRPC)"
CI="${CI:-}" go test -count=1 -timeout 40m ./pkg/...
