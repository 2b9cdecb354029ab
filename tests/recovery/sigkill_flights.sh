#!/usr/bin/env bash
# SIGKILL recovery on a window query over a file: the hourly TUMBLE per
# origin over the January 2001 flights (508,239 rows) at parallelism 2,
# the file read at 100,000 rows per second ('scan.rows-per-second') so
# that the job runs for about 5 s, checkpoints every 200 ms, and an
# exactly-once SQLite sink without a primary key (append: a duplicate
# would show).  Compared with the batch oracle (sqlite3 over the CSV).
#
#   tests/recovery/sigkill_flights.sh [KILLS [SEED]]   (default 20 kills, seed 2)
source "$(dirname "$0")/driver.bash"
csv=$WEIR_SHARED_DATA/flights-2001-01.csv
need_file "$csv"

job_script() {
  cat > "$TMP/job.sql" <<SQL
SET 'parallelism.default' = '2';
SET 'execution.checkpointing.interval' = '200 ms';
SET 'pipeline.name' = 'hourly';
$([[ -n "$1" ]] && echo "SET 'execution.savepoint.path' = '$1';")
CREATE TABLE flights (
  ts TIMESTAMP(3), delay INT, distance INT, origin VARCHAR, destination VARCHAR,
  WATERMARK FOR ts AS ts - INTERVAL '5' MINUTE
) WITH ('connector' = 'file', 'path' = '$csv', 'format' = 'csv', 'csv.header' = 'true',
        'scan.rows-per-second' = '100000');
CREATE TABLE hourly (
  origin VARCHAR, window_start TIMESTAMP(3), flights BIGINT, total_delay BIGINT, max_delay INT
) WITH ('connector' = 'sqlite', 'path' = '$TMP/weir.db', 'table-name' = 'hourly');
INSERT INTO hourly
SELECT origin, window_start, COUNT(*), SUM(delay), MAX(delay)
FROM TABLE(TUMBLE(TABLE flights, DESCRIPTOR(ts), INTERVAL '1' HOUR))
GROUP BY origin, window_start, window_end;
SQL
}
run_with_kills hourly "${1:-${WEIR_RECOVERY_KILLS:-20}}" "${2:-${WEIR_RECOVERY_SEED:-2}}"

import_csv "$TMP/weir.db" f "$csv"
sqlite3 "$TMP/weir.db" "
CREATE TABLE oracle AS SELECT origin, strftime('%Y-%m-%d %H:00:00.000', ts) AS window_start,
  count(*) AS flights, sum(CAST(delay AS INTEGER)) AS total_delay, max(CAST(delay AS INTEGER)) AS max_delay
FROM f GROUP BY 1, 2;"
read -r lost dup wrong < <(compare "$TMP/weir.db" hourly oracle "origin, window_start, flights, total_delay, max_delay")
report "$lost" "$dup" "$wrong" "$(sqlite3 "$TMP/weir.db" "SELECT count(*) FROM oracle")"
