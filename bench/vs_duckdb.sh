#!/usr/bin/env bash
# vs_duckdb.sh -- one windowed aggregation over the same CSV, side by side:
# weir (STREAMING, parallelism 1 and 2, blackhole sink) and DuckDB (1 and 2
# threads, through @duckdb/node-api; scripts/bench-setup.sh installs it).
#
#   bench/vs_duckdb.sh [RUNS] [CSV]
#
# The query: per origin airport and hourly TUMBLE window, COUNT(*),
# AVG(delay), MAX(delay) over ../shared/data/flights-2001-01.csv (508,239
# rows).  weir is timed as a whole process (bash `time`, user + system);
# DuckDB inside node around the query alone.  Prints the median wall and CPU
# seconds of RUNS runs (default 5) and the ratios DuckDB / weir (above 1:
# weir is faster).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
data=$(realpath "${2:-${WEIR_SHARED_DATA:-../shared/data}/flights-2001-01.csv}")
[[ -f $data ]] || { echo "missing $data (set WEIR_SHARED_DATA)"; exit 1; }
[[ -d bench/duckdb/node_modules/@duckdb/node-api ]] ||
  { echo "DuckDB is not installed: run scripts/bench-setup.sh" >&2; exit 2; }

source bench/lib.bash
bench_setup
for p in 1 2; do
  cat > "$tmp/p$p.sql" <<SQL
SET 'parallelism.default' = '$p';
CREATE TABLE flights (
  ts TIMESTAMP(3), delay INT, distance INT, origin VARCHAR, destination VARCHAR,
  WATERMARK FOR ts AS ts - INTERVAL '5' MINUTE
) WITH ('connector' = 'file', 'path' = '$data', 'format' = 'csv', 'csv.header' = 'true');
CREATE TABLE hourly (origin VARCHAR, window_start TIMESTAMP(3), flights BIGINT, avg_delay DOUBLE,
  max_delay INT) WITH ('connector' = 'blackhole');
INSERT INTO hourly
SELECT origin, window_start, COUNT(*), AVG(delay), MAX(delay)
FROM TABLE(TUMBLE(TABLE flights, DESCRIPTOR(ts), INTERVAL '1' HOUR))
GROUP BY origin, window_start, window_end;
SQL
done

weir_run() { # SCRIPT -> "wall cpu"
  local TIMEFORMAT='%R %U %S' t
  t=$( { time build-bench/weir -f "$1" >/dev/null 2>&1; } 2>&1 )
  awk '{printf "%.3f %.3f\n", $1, $2 + $3}' <<< "$t"
}
duck_run() { # THREADS -> "wall cpu"
  DUCKDB_THREADS=$1 node bench/duckdb/run.mjs "$data" | awk '{print $1, $2}'
}
median() { # runs of CMD... -> the median line by wall time
  local i
  for ((i = 0; i < runs; i++)); do "$@"; done | sort -n | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}'
}

read -r w1 c1 < <(median weir_run "$tmp/p1.sql")
read -r w2 c2 < <(median weir_run "$tmp/p2.sql")
read -r d1 e1 < <(median duck_run 1)
read -r d2 e2 < <(median duck_run 2)
rows=$(($(wc -l < "$data") - 1))
echo "hourly TUMBLE per origin over $(basename "$data") ($rows rows), median of $runs runs," \
  "$(date -u +%F), $(nproc) CPUs"
printf "| %-22s | %7s | %7s | %14s | %18s |\n" engine "wall s" "CPU s" "rows/CPU-s" "DuckDB/weir wall"
printf "| %-22s | %7s | %7s | %14s | %18s |\n" --- ---: ---: ---: ---:
row() { # label wall cpu ratio
  printf "| %-22s | %7s | %7s | %12.2f M | %18s |\n" "$1" "$2" "$3" \
    "$(awk -v r="$rows" -v c="$3" 'BEGIN {print (c > 0 ? r / c / 1e6 : 0)}')" "$4"
}
row "weir, parallelism 1" "$w1" "$c1" "$(awk -v a="$d1" -v b="$w1" 'BEGIN {printf "%.2fx", a / b}')"
row "weir, parallelism 2" "$w2" "$c2" "$(awk -v a="$d2" -v b="$w2" 'BEGIN {printf "%.2fx", a / b}')"
row "DuckDB, 1 thread" "$d1" "$e1" ""
row "DuckDB, 2 threads" "$d2" "$e2" ""
