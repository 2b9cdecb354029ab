#!/usr/bin/env bash
# bench-setup.sh -- what the benchmarks need beyond the build and the tests:
# GNU time (peak RSS, in bench/nexmark.sh), node and npm, and DuckDB
# (@duckdb/node-api, from the npm registry, into bench/duckdb/node_modules)
# for bench/vs_duckdb.sh.  Runs apt-get as root or through sudo.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
missing=()
[[ -x /usr/bin/time ]] || missing+=(time)
# node and npm may come from Debian or from elsewhere (NodeSource bundles npm).
command -v node >/dev/null && command -v npm >/dev/null || missing+=(nodejs npm)
if [[ ${#missing[@]} -gt 0 ]]; then
  sudo=(); [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
(cd bench/duckdb && npm install --no-audit --no-fund --loglevel=error)
echo "bench-setup: done"
