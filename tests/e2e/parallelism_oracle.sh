#!/usr/bin/env bash
# Parallelism oracle: parallelism 1, 2 and 4 write identical sink contents.
# Window queries over the January 2001 flights (TUMBLE with every aggregate,
# HOP; the file is read as byte-range splits in parallel) and over Nexmark
# (q5's HOP count per auction, q7's TUMBLE maximum), each into SQLite.
source "$(dirname "$0")/lib.bash"
csv=$WEIR_SHARED_DATA/flights-2001-01.csv
need_file "$csv"

flights_job() { # PARALLELISM DB
  cat <<SQL
SET 'parallelism.default' = '$1';
CREATE TABLE flights (
  ts TIMESTAMP(3), delay INT, distance INT, origin VARCHAR, destination VARCHAR,
  WATERMARK FOR ts AS ts - INTERVAL '5' MINUTE
) WITH ('connector' = 'file', 'path' = '$csv', 'format' = 'csv', 'csv.header' = 'true');
CREATE TABLE tumble_out (origin VARCHAR, window_start TIMESTAMP(3), n BIGINT, total BIGINT,
  avg_delay DOUBLE, min_delay INT, max_delay INT, far BIGINT,
  PRIMARY KEY (origin, window_start) NOT ENFORCED)
  WITH ('connector' = 'sqlite', 'path' = '$2', 'table-name' = 'tumble_out');
CREATE TABLE hop_out (destination VARCHAR, window_start TIMESTAMP(3), window_end TIMESTAMP(3),
  n BIGINT, max_distance INT,
  PRIMARY KEY (destination, window_start) NOT ENFORCED)
  WITH ('connector' = 'sqlite', 'path' = '$2', 'table-name' = 'hop_out');
INSERT INTO tumble_out
SELECT origin, window_start, COUNT(*), SUM(delay), AVG(delay), MIN(delay), MAX(delay),
       COUNT(*) FILTER (WHERE distance > 1000)
FROM TABLE(TUMBLE(TABLE flights, DESCRIPTOR(ts), INTERVAL '1' HOUR))
GROUP BY origin, window_start, window_end;
INSERT INTO hop_out
SELECT destination, window_start, window_end, COUNT(*), MAX(distance)
FROM TABLE(HOP(TABLE flights, DESCRIPTOR(ts), INTERVAL '1' HOUR, INTERVAL '3' HOUR))
WHERE delay > 0
GROUP BY destination, window_start, window_end;
SQL
}

nexmark_job() { # PARALLELISM DB QUERY
  echo "SET 'parallelism.default' = '$1';"
  sed -e "s/\${EVENTS}/1000000/g; s/\${EPS}/10000/g; s/\${SINK}/sqlite/g" \
      -e "s|\${SINK_OPTIONS}|, 'path' = '$2', 'table-name' = '$3'|g" \
      "$WEIR_SOURCE_DIR/bench/nexmark/$3.sql"
}

for p in 1 2 4; do
  flights_job $p "$TMP/p$p.db" > "$TMP/flights_p$p.sql"
  run_weir "$TMP/flights_p$p.sql"
  for q in q5 q7; do
    nexmark_job $p "$TMP/p$p.db" $q > "$TMP/${q}_p$p.sql"
    run_weir "$TMP/${q}_p$p.sql"
  done
done

for t in tumble_out hop_out q5 q7; do
  for p in 1 2 4; do
    sqlite3 "$TMP/cmp.db" "ATTACH '$TMP/p$p.db' AS x; CREATE TABLE ${t}_p$p AS SELECT * FROM x.$t;"
  done
  for p in 2 4; do
    same_rows "$TMP/cmp.db" "SELECT * FROM ${t}_p1" "SELECT * FROM ${t}_p$p" \
      "$t at parallelism 1 and $p"
  done
done
echo PASS
