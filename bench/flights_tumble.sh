#!/usr/bin/env bash
# flights_tumble.sh -- the issue-2 benchmark: the hourly TUMBLE aggregation
# per origin over the January 2001 flights (508,239 rows) in weir, against
# sqlite3 computing the same aggregation over the same CSV file.
#
#   bench/flights_tumble.sh [RUNS]      (default 5 runs; the median is reported)
#
# Prints wall seconds, CPU seconds (user + system) and rows per CPU-second
# for weir (release build in build-bench/) into a blackhole sink and into
# the SQLite sink, and for sqlite3 (.import of the CSV plus the GROUP BY),
# and the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
data=${WEIR_SHARED_DATA:-../shared/data}/flights-2001-01.csv
[[ -f $data ]] || { echo "missing $data (set WEIR_SHARED_DATA)"; exit 1; }
rows=$(($(wc -l < "$data") - 1))

source bench/lib.bash
bench_setup
cat > "$tmp/job.sql" <<SQL
CREATE TABLE flights (
  ts TIMESTAMP(3), delay INT, distance INT, origin VARCHAR, destination VARCHAR,
  WATERMARK FOR ts AS ts - INTERVAL '5' MINUTE
) WITH ('connector' = 'file', 'path' = '$(realpath "$data")', 'format' = 'csv', 'csv.header' = 'true');
CREATE TABLE hourly (origin VARCHAR, window_start TIMESTAMP(3), flights BIGINT, avg_delay DOUBLE, max_delay INT)
  WITH ('connector' = 'blackhole');
CREATE TABLE hourly_db (origin VARCHAR, window_start TIMESTAMP(3), flights BIGINT, avg_delay DOUBLE, max_delay INT,
  PRIMARY KEY (origin, window_start) NOT ENFORCED)
  WITH ('connector' = 'sqlite', 'path' = '$tmp/w.db', 'table-name' = 'hourly');
INSERT INTO SINK_TABLE
SELECT origin, window_start, COUNT(*), AVG(delay), MAX(delay)
FROM TABLE(TUMBLE(TABLE flights, DESCRIPTOR(ts), INTERVAL '1' HOUR))
GROUP BY origin, window_start, window_end;
SQL
cat > "$tmp/sqlite.sql" <<SQL
.import --csv $(realpath "$data") f
SELECT count(*) FROM (SELECT origin, strftime('%Y-%m-%d %H', ts) AS h, count(*),
       avg(CAST(delay AS INTEGER)), max(CAST(delay AS INTEGER)) FROM f GROUP BY origin, h);
SQL

# measure CMD...: prints "wall cpu" (seconds) of one run.
measure() {
  local TIMEFORMAT='%R %U %S' t
  t=$( { time "$@" >/dev/null 2>&1; } 2>&1 )
  awk '{printf "%.3f %.3f\n", $1, $2 + $3}' <<< "$t"
}
median() { sort -n | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}'; }

sed 's/SINK_TABLE/hourly/' "$tmp/job.sql" > "$tmp/blackhole.sql"
sed 's/SINK_TABLE/hourly_db/' "$tmp/job.sql" > "$tmp/sqlite_sink.sql"
b_wall=() b_cpu=() s_wall=() s_cpu=() q_wall=() q_cpu=()
for ((i = 0; i < runs; i++)); do
  read -r w c < <(measure build-bench/weir -f "$tmp/blackhole.sql"); b_wall+=("$w"); b_cpu+=("$c")
  rm -f "$tmp/w.db"*
  read -r w c < <(measure build-bench/weir -f "$tmp/sqlite_sink.sql"); s_wall+=("$w"); s_cpu+=("$c")
  rm -f "$tmp/s.db"
  read -r w c < <(measure sqlite3 "$tmp/s.db" ".read $tmp/sqlite.sql"); q_wall+=("$w"); q_cpu+=("$c")
done
med() { printf '%s\n' "$@" | median; }
row() { # row LABEL WALL CPU
  awk -v l="$1" -v w="$2" -v c="$3" -v n="$rows" 'BEGIN {printf "%-36s %8.3f %8.3f %14.0f\n", l, w, c, n / c}'
}
bc_=$(med "${b_cpu[@]}"); qc=$(med "${q_cpu[@]}")
echo "hourly TUMBLE per origin over flights-2001-01.csv ($rows rows), median of $runs runs"
echo "machine: $(nproc) CPUs, $(awk -F: '/model name/ {print $2; exit}' /proc/cpuinfo | sed 's/^ *//'), $(date -u +%Y-%m-%d)"
printf '%-36s %8s %8s %14s\n' engine "wall s" "CPU s" "rows/CPU-s"
row "weir, blackhole sink" "$(med "${b_wall[@]}")" "$bc_"
row "weir, SQLite sink (72,839 upserts)" "$(med "${s_wall[@]}")" "$(med "${s_cpu[@]}")"
row "sqlite3 (.import + GROUP BY)" "$(med "${q_wall[@]}")" "$qc"
awk -v a="$qc" -v b="$bc_" 'BEGIN {printf "weir (blackhole sink) uses %.1fx less CPU than sqlite3\n", a / b}'
