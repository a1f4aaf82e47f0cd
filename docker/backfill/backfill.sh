#!/bin/sh
# One-shot: generate the demo history and turn it into TSDB blocks in /prometheus.
# Runs once per Prometheus volume (a marker file remembers it).
set -eu
marker=/prometheus/.nines-backfilled
if [ -e "$marker" ]; then
  echo "demo history already backfilled ($marker)"
  exit 0
fi
mkdir -p /data
go run ./pkg/cmd/nines demo openmetrics --out /data/demo.om
# --max-block-duration: one pass over the file instead of one per 2-hour block.
promtool tsdb create-blocks-from openmetrics --max-block-duration=2400h /data/demo.om /prometheus
rm -f /data/demo.om
touch "$marker"
# The Prometheus image runs as nobody.
chown -R 65534:65534 /prometheus
echo "demo history backfilled"
