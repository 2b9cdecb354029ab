#!/usr/bin/env bash
# Out-of-order input: the USGS earthquakes arrive in the order they were
# last updated, far from event-time order.
#  1. A watermark that covers the disorder (7 days) loses no row: the daily
#     TUMBLE counts equal the batch oracle's and sum to 1,707.
#  2. A tight watermark (1 hour) with the watermark advancing after every
#     row ('table.exec.source.max-rows-per-chunk' = '1') and one reader
#     drops exactly the rows whose window had closed when they arrived --
#     computed by the oracle from the rows' file order -- counts them, and
#     keeps the rest.
#  3. The same tight watermark with normal chunks, with one and with four
#     parallel readers (each with its own watermark): rows written plus
#     late rows dropped still account for every row.
source "$(dirname "$0")/lib.bash"
json=$WEIR_SHARED_DATA/earthquakes-usgs-week.jsonl
need_file "$json"
import_jsonl "$TMP/oracle.db" q "$json"
sqlite3 "$TMP/oracle.db" "CREATE TABLE e AS SELECT n, json_extract(j, '\$.time') AS t,
  json_extract(j, '\$.mag') AS mag, json_extract(j, '\$.net') AS net FROM q;"

job() { # job DELAY CHUNK DB [PARALLELISM]
  cat > "$TMP/job.sql" <<SQL
SET 'table.exec.source.max-rows-per-chunk' = '$2';
SET 'parallelism.default' = '${4:-2}';
CREATE TABLE quakes (
  \`time\` BIGINT, mag DOUBLE, place VARCHAR, net VARCHAR,
  ts AS TO_TIMESTAMP_LTZ(\`time\`, 3),
  WATERMARK FOR ts AS ts - INTERVAL '$1' HOUR
) WITH ('connector' = 'file', 'path' = '$json', 'format' = 'json');
CREATE TABLE daily (
  day TIMESTAMP(3), quakes BIGINT, strongest DOUBLE, networks BIGINT,
  PRIMARY KEY (day) NOT ENFORCED
) WITH ('connector' = 'sqlite', 'path' = '$3', 'table-name' = 'daily');
INSERT INTO daily
SELECT window_start, COUNT(*), MAX(mag), COUNT(*) FILTER (WHERE net = 'us')
FROM TABLE(TUMBLE(TABLE quakes, DESCRIPTOR(ts), INTERVAL '1' DAY))
GROUP BY window_start, window_end;
SQL
  run_weir "$TMP/job.sql"
}

# 1. loose watermark: nothing late
job 168 1024 "$TMP/loose.db"
[[ $(summary_field 3) == 0 ]] || { echo "FAIL: late rows with a 7-day watermark"; exit 1; }
db="$TMP/oracle.db"
q_weir="SELECT day, quakes, strongest, networks FROM l.daily"
q_oracle="SELECT strftime('%Y-%m-%d 00:00:00.000', t / 1000, 'unixepoch'), count(*), max(mag), sum(net = 'us') FROM e GROUP BY 1"
# cmp_attached DBFILE LABEL WEIRQ ORACLEQ: compare with the weir sink
# attached as l.
cmp_attached() {
  local label=$2 na nb oa ob
  na=$(sqlite3 "$db" "ATTACH '$1' AS l; SELECT count(*) FROM ($3)")
  nb=$(sqlite3 "$db" "ATTACH '$1' AS l; SELECT count(*) FROM ($4)")
  oa=$(sqlite3 "$db" "ATTACH '$1' AS l; SELECT count(*) FROM ($3 EXCEPT $4)")
  ob=$(sqlite3 "$db" "ATTACH '$1' AS l; SELECT count(*) FROM ($4 EXCEPT $3)")
  echo "$label: weir $na rows, oracle $nb rows, only in weir $oa, only in oracle $ob"
  if [[ "$na" != "$nb" || "$oa" != 0 || "$ob" != 0 || "$na" == 0 ]]; then
    sqlite3 "$db" "ATTACH '$1' AS l; $3 EXCEPT $4"; echo ---
    sqlite3 "$db" "ATTACH '$1' AS l; $4 EXCEPT $3"
    echo "FAIL: $label"; exit 1
  fi
}
cmp_attached "$TMP/loose.db" "daily TUMBLE, 7-day watermark" "$q_weir" "$q_oracle"
total=$(sqlite3 "$TMP/loose.db" "SELECT sum(quakes) FROM daily")
[[ $total == 1707 ]] || { echo "FAIL: $total quakes counted, expected 1707"; exit 1; }

# 2. tight watermark, advancing after every row: the oracle knows which
#    rows are late.  A row is late when the end of its day window minus
#    1 ms is at most the watermark before it: max(time of earlier rows) -
#    1 hour.
job 1 1 "$TMP/tight.db" 1
sqlite3 "$db" "CREATE TABLE late AS
  SELECT n, t, mag, net, (t / 86400000) * 86400000 + 86400000 - 1 <=
         coalesce(max(t) OVER (ORDER BY n ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
                  -9e18) - 3600000 AS is_late FROM e"
expect_late=$(sqlite3 "$db" "SELECT sum(is_late) FROM late")
got_late=$(summary_field 3)
echo "tight watermark, per-row: late rows dropped $got_late, oracle $expect_late"
[[ "$expect_late" -gt 0 && "$got_late" == "$expect_late" ]] || { echo "FAIL: late rows"; exit 1; }
cmp_attached "$TMP/tight.db" "daily TUMBLE, 1-hour watermark" "$q_weir" \
  "SELECT strftime('%Y-%m-%d 00:00:00.000', t / 1000, 'unixepoch'), count(*), max(mag),
          sum(net = 'us') FROM late WHERE NOT is_late GROUP BY 1"

# 3. tight watermark, normal chunks: every row is either counted or late,
#    with one reader (watermark after every chunk: some rows are late) and
#    with four (each reader has its own watermark; how many rows are late
#    depends on timing, but none is lost).
for par in 1 4; do
  job 1 1024 "$TMP/chunked$par.db" $par
  written=$(sqlite3 "$TMP/chunked$par.db" "SELECT sum(quakes) FROM daily")
  late=$(summary_field 3)
  echo "tight watermark, chunked, parallelism $par: $written counted + $late late = $((written + late)) of 1707"
  [[ $((written + late)) == 1707 ]] || { echo "FAIL: rows lost"; exit 1; }
  [[ $par != 1 || $late -gt 0 ]] || { echo "FAIL: no late rows with one reader"; exit 1; }
done
echo PASS
