#!/usr/bin/env bash
# Batch oracle: a HOP window (slide 30 min, size 2 h) per origin with
# WHERE, CASE and HAVING over the January 2001 flights into SQLite,
# compared with the same computation in sqlite3, which assigns each flight
# to the four windows that contain it.
source "$(dirname "$0")/lib.bash"
csv=$WEIR_SHARED_DATA/flights-2001-01.csv
need_file "$csv"

cat > "$TMP/job.sql" <<SQL
CREATE TABLE flights (
  ts TIMESTAMP(3), delay INT, distance INT, origin VARCHAR, destination VARCHAR,
  WATERMARK FOR ts AS ts - INTERVAL '1' MINUTE
) WITH ('connector' = 'file', 'path' = '$csv', 'format' = 'csv', 'csv.header' = 'true');
CREATE TABLE busy (
  origin VARCHAR, window_start TIMESTAMP(3), window_end TIMESTAMP(3),
  flights BIGINT, long_haul BIGINT, early BIGINT, miles BIGINT, worst INT,
  PRIMARY KEY (origin, window_start) NOT ENFORCED
) WITH ('connector' = 'sqlite', 'path' = '$TMP/weir.db', 'table-name' = 'busy');
INSERT INTO busy
SELECT origin, window_start, window_end, COUNT(*),
       SUM(CASE WHEN distance >= 1000 THEN 1 ELSE 0 END),
       COUNT(CASE WHEN delay < 0 THEN 1 END),
       SUM(distance), MAX(delay)
FROM TABLE(HOP(TABLE flights, DESCRIPTOR(ts), INTERVAL '30' MINUTE, INTERVAL '2' HOUR))
WHERE destination <> 'ORD' AND origin LIKE '%A%'
GROUP BY origin, window_start, window_end
HAVING COUNT(*) >= 5;
SQL
run_weir "$TMP/job.sql"

import_csv "$TMP/weir.db" f "$csv"
same_rows "$TMP/weir.db" \
  "SELECT origin, window_start, window_end, flights, long_haul, early, miles, worst FROM busy" \
  "WITH k(k) AS (VALUES (0), (1), (2), (3)),
   w AS (SELECT f.*, (CAST(strftime('%s', ts) AS INTEGER) / 1800) * 1800 - k * 1800 AS ws
         FROM f, k WHERE destination <> 'ORD' AND instr(origin, 'A') > 0)
   SELECT origin, datetime(ws, 'unixepoch') || '.000', datetime(ws + 7200, 'unixepoch') || '.000',
          count(*), sum(CAST(distance AS INTEGER) >= 1000), sum(CAST(delay AS INTEGER) < 0),
          sum(CAST(distance AS INTEGER)), max(CAST(delay AS INTEGER))
   FROM w GROUP BY origin, ws HAVING count(*) >= 5" \
  "HOP 30 min / 2 h over flights"
echo PASS
