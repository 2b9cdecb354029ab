#!/usr/bin/env bash
# A user's own script: a new CSV of sensor readings (generated here, with
# timestamps jittered up to 40 s out of order, quoted text fields and
# empty values), a HOP GROUP BY with WHERE, CASE and HAVING into SQLite,
# run with `weir -f` -- compared with what sqlite3 computes from the same
# file.
source "$(dirname "$0")/lib.bash"
csv=$TMP/readings.csv

# 30,000 readings over ~8 hours from 25 sensors, deterministic (srand).
awk 'BEGIN {
  srand(7); print "sensor,reading_time,temperature,humidity,site";
  base = 1735689600; # 2025-01-01 00:00:00 UTC
  for (i = 0; i < 30000; i++) {
    t = base + i + int(rand() * 40) - 20;
    s = "s" int(rand() * 25);
    temp = sprintf("%.2f", 15 + rand() * 20);
    hum = (rand() < 0.05) ? "" : int(20 + rand() * 70);
    site = (rand() < 0.5) ? "\"North, upper\"" : "south";
    printf "%s,%s,%s,%s,%s\n", s, strftime("%Y-%m-%d %H:%M:%S", t, 1), temp, hum, site;
  }
}' > "$csv"

cat > "$TMP/job.sql" <<SQL
CREATE TABLE readings (
  sensor VARCHAR, reading_time TIMESTAMP(3), temperature DOUBLE, humidity INT, site VARCHAR,
  WATERMARK FOR reading_time AS reading_time - INTERVAL '45' SECOND
) WITH ('connector' = 'file', 'path' = '$csv', 'format' = 'csv', 'csv.header' = 'true');

CREATE TABLE stats (
  sensor VARCHAR, window_start TIMESTAMP(3), window_end TIMESTAMP(3),
  readings BIGINT, hot BIGINT, band VARCHAR, max_temp DOUBLE, avg_temp DOUBLE, humid BIGINT,
  PRIMARY KEY (sensor, window_start) NOT ENFORCED
) WITH ('connector' = 'sqlite', 'path' = '$TMP/weir.db', 'table-name' = 'stats');

INSERT INTO stats
SELECT sensor, window_start, window_end,
       COUNT(*),
       SUM(CASE WHEN temperature > 30 THEN 1 ELSE 0 END),
       CASE WHEN MAX(temperature) >= 34.5 THEN 'extreme'
            WHEN MAX(temperature) >= 33 THEN 'high' ELSE 'normal' END,
       MAX(temperature), AVG(temperature), COUNT(humidity)
FROM TABLE(HOP(TABLE readings, DESCRIPTOR(reading_time), INTERVAL '5' MINUTE, INTERVAL '15' MINUTE))
WHERE site = 'North, upper' AND (humidity IS NULL OR humidity < 80)
GROUP BY sensor, window_start, window_end
HAVING COUNT(*) > 3;
SQL
run_weir "$TMP/job.sql"
[[ $(summary_field 3) == 0 ]] || { echo "FAIL: the watermark covers the jitter, yet rows were late"; exit 1; }

import_csv "$TMP/weir.db" r "$csv"
# Averages of doubles are summed in a different order per window (slices),
# so they are compared to 9 significant digits.
same_rows "$TMP/weir.db" \
  "SELECT sensor, window_start, window_end, readings, hot, band, max_temp,
          printf('%.9g', avg_temp), humid FROM stats" \
  "WITH k(k) AS (VALUES (0), (1), (2)),
   w AS (SELECT r.*, (CAST(strftime('%s', reading_time) AS INTEGER) / 300) * 300 - k * 300 AS ws
         FROM r, k
         WHERE site = 'North, upper' AND (humidity = '' OR CAST(humidity AS INTEGER) < 80))
   SELECT sensor, datetime(ws, 'unixepoch') || '.000', datetime(ws + 900, 'unixepoch') || '.000',
          count(*), sum(CAST(temperature AS REAL) > 30),
          CASE WHEN max(CAST(temperature AS REAL)) >= 34.5 THEN 'extreme'
               WHEN max(CAST(temperature AS REAL)) >= 33 THEN 'high' ELSE 'normal' END,
          max(CAST(temperature AS REAL)), printf('%.9g', avg(CAST(temperature AS REAL))),
          sum(humidity <> '')
   FROM w GROUP BY sensor, ws HAVING count(*) > 3" \
  "user script: HOP with WHERE/CASE/HAVING"
echo PASS
