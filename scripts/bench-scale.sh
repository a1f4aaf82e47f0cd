#!/usr/bin/env bash
# The scale benchmark of issue 10: writes 1,000 services' request counters for 35 days
# at 1-minute scrapes straight into TSDB blocks (cached between runs), starts Debian's
# Prometheus on them behind a counting proxy, runs the plugin in its own process over the
# SDK's gRPC harness, and prints one table of figures, ratios and targets.
#
#   bash scripts/bench-scale.sh                      # 1,000 SLOs, 35 days
#   bash scripts/bench-scale.sh --slos 100 --days 31 # smaller
#
# Flags go to pkg/cmd/benchscale (--help lists them). It exits 0 whether or not the
# targets are met; it fails only when the run itself fails.
set -euo pipefail
cd "$(dirname "$0")/.."

own_prometheus=
for a in "$@"; do
  case "$a" in -prometheus* | --prometheus*) own_prometheus=1 ;; esac
done
if [ -z "$own_prometheus" ] && [ ! -x /usr/bin/prometheus ]; then
  echo "bench-scale: /usr/bin/prometheus not found: install Debian's Prometheus 2.x (apt-get install -y prometheus), or give --prometheus PATH" >&2
  exit 1
fi

bin="$(mktemp -d)/benchscale"
trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -o "$bin" ./pkg/cmd/benchscale
"$bin" "$@"
