#!/usr/bin/env bash
# quickstart.sh -- install what is missing, build weir, and run the main
# example: hourly departure statistics per airport over three days of real
# US flights, written continuously into a SQLite table, which is printed.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DWEIR_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)"

rm -f out/flights.db
mkdir -p out
echo
echo "== build/weir -f examples/quickstart.sql"
./build/weir -f examples/quickstart.sql
echo
echo "== the busiest airport-hours, from out/flights.db (sqlite3)"
sqlite3 -header -column out/flights.db \
  "SELECT origin, window_start, departures, avg_delay, delayed_pct
     FROM hourly_departures ORDER BY departures DESC, origin LIMIT 10;"
echo
sqlite3 out/flights.db "SELECT count(*) || ' rows in hourly_departures, ' || sum(departures) || ' departures' FROM hourly_departures;"
