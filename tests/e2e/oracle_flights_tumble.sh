#!/usr/bin/env bash
# Batch oracle: an hourly TUMBLE aggregation per origin over the January
# 2001 flights (508,239 rows) into SQLite, compared row by row with the
# same aggregation computed by the sqlite3 command-line tool on the CSV.
source "$(dirname "$0")/lib.bash"
csv=$WEIR_SHARED_DATA/flights-2001-01.csv
need_file "$csv"

cat > "$TMP/job.sql" <<SQL
CREATE TABLE flights (
  ts TIMESTAMP(3), delay INT, distance INT, origin VARCHAR, destination VARCHAR,
  WATERMARK FOR ts AS ts - INTERVAL '5' MINUTE
) WITH ('connector' = 'file', 'path' = '$csv', 'format' = 'csv', 'csv.header' = 'true');
CREATE TABLE hourly (
  origin VARCHAR, window_start TIMESTAMP(3), window_end TIMESTAMP(3),
  flights BIGINT, delayed BIGINT, total_delay BIGINT, avg_delay DOUBLE,
  min_delay INT, max_delay INT, longest INT,
  PRIMARY KEY (origin, window_start) NOT ENFORCED
) WITH ('connector' = 'sqlite', 'path' = '$TMP/weir.db', 'table-name' = 'hourly');
INSERT INTO hourly
SELECT origin, window_start, window_end, COUNT(*), COUNT(*) FILTER (WHERE delay > 15),
       SUM(delay), AVG(delay), MIN(delay), MAX(delay), MAX(distance)
FROM TABLE(TUMBLE(TABLE flights, DESCRIPTOR(ts), INTERVAL '1' HOUR))
GROUP BY origin, window_start, window_end;
SQL
run_weir "$TMP/job.sql"
[[ $(summary_field 1) == 508239 ]] || { echo "FAIL: rows read $(summary_field 1)"; exit 1; }
[[ $(summary_field 3) == 0 ]] || { echo "FAIL: late rows in ordered data"; exit 1; }

import_csv "$TMP/weir.db" f "$csv"
same_rows "$TMP/weir.db" \
  "SELECT origin, window_start, window_end, flights, delayed, total_delay, avg_delay,
          min_delay, max_delay, longest FROM hourly" \
  "SELECT origin, strftime('%Y-%m-%d %H:00:00.000', ts),
          strftime('%Y-%m-%d %H:00:00.000', ts, '+1 hour'),
          count(*), sum(CAST(delay AS INTEGER) > 15), sum(CAST(delay AS INTEGER)),
          avg(CAST(delay AS INTEGER)), min(CAST(delay AS INTEGER)), max(CAST(delay AS INTEGER)),
          max(CAST(distance AS INTEGER))
   FROM f GROUP BY 1, 2" \
  "hourly TUMBLE over flights"
echo PASS
