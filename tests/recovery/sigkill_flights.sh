#!/usr/bin/env bash
# SIGKILL recovery on a window query over a file: the hourly TUMBLE per
# origin over the January 2001 flights (508,239 rows) at parallelism 2,
# the file read at 100,000 rows per second ('scan.rows-per-second') so
# that the job runs for about 5 s, checkpoints every 200 ms, and an
# exactly-once SQLite sink without a primary key (append: a duplicate
# would show).  Compared with the batch oracle (sqlite3 over the CSV).
#
# Then the named kill points (util/fault.c): the process kills itself at
# each seam -- a checkpoint's data written but not its metadata, the
# metadata written but the sinks not told, a sink epoch's rows written but
# not committed, committed but not yet forgotten, during a restore, and
# between a stop-with-savepoint's completion and the sinks' commit -- and
# is restarted; each run is compared with the oracle too.
#
# Every restart resumes through the engine's catalog (weir STATE -c ...),
# and the job must end FINISHED in SHOW JOBS.
#
#   tests/recovery/sigkill_flights.sh [KILLS [SEED]]   (default 20 kills, seed 2)
#
# With WEIR_RECOVERY_BACKEND=rocksdb the window state lives in RocksDB
# (incremental checkpoints, a small cache so that keys are evicted).
source "$(dirname "$0")/driver.bash"
csv=$WEIR_SHARED_DATA/flights-2001-01.csv
need_file "$csv"

DB=$TMP/weir.db
job_script() {
  cat > "$TMP/job.sql" <<SQL
SET 'parallelism.default' = '2';
SET 'execution.checkpointing.interval' = '200 ms';
SET 'pipeline.name' = 'hourly';
SET 'state.backend' = '${WEIR_RECOVERY_BACKEND:-hashmap}';
SET 'state.backend.rocksdb.memory.managed-size' = '2 mb';
$([[ -n "$1" ]] && echo "SET 'execution.savepoint.path' = '$1';")
CREATE TABLE flights (
  ts TIMESTAMP(3), delay INT, distance INT, origin VARCHAR, destination VARCHAR,
  WATERMARK FOR ts AS ts - INTERVAL '5' MINUTE
) WITH ('connector' = 'file', 'path' = '$csv', 'format' = 'csv', 'csv.header' = 'true',
        'scan.rows-per-second' = '100000');
CREATE TABLE hourly (
  origin VARCHAR, window_start TIMESTAMP(3), flights BIGINT, total_delay BIGINT, max_delay INT
) WITH ('connector' = 'sqlite', 'path' = '$DB', 'table-name' = 'hourly');
INSERT INTO hourly
SELECT origin, window_start, COUNT(*), SUM(delay), MAX(delay)
FROM TABLE(TUMBLE(TABLE flights, DESCRIPTOR(ts), INTERVAL '1' HOUR))
GROUP BY origin, window_start, window_end;
SQL
}
run_with_kills hourly "${1:-${WEIR_RECOVERY_KILLS:-20}}" "${2:-${WEIR_RECOVERY_SEED:-2}}"
"$WEIR" "$STATE" -c "SHOW JOBS;" | tee "$TMP/jobs.txt"
grep -q "hourly *| FINISHED" "$TMP/jobs.txt" || { echo "FAIL: the job is not FINISHED"; exit 1; }

import_csv "$TMP/oracle.db" f "$csv"
sqlite3 "$TMP/oracle.db" "
CREATE TABLE oracle AS SELECT origin, strftime('%Y-%m-%d %H:00:00.000', ts) AS window_start,
  count(*) AS flights, sum(CAST(delay AS INTEGER)) AS total_delay, max(CAST(delay AS INTEGER)) AS max_delay
FROM f GROUP BY 1, 2;"
oracle_rows=$(sqlite3 "$TMP/oracle.db" "SELECT count(*) FROM oracle")

# check: the sink of $DB against the oracle.
check() {
  sqlite3 "$DB" "ATTACH '$TMP/oracle.db' AS o; CREATE TABLE oracle AS SELECT * FROM o.oracle;"
  read -r lost dup wrong < <(compare "$DB" hourly oracle "origin, window_start, flights, total_delay, max_delay")
  report "$lost" "$dup" "$wrong" "$oracle_rows"
}
check

# The named kill points, each on a fresh state and sink.  The restore
# point is reached by the second run, so it needs a checkpoint first.
for point in checkpoint-before-metadata:3 checkpoint-after-metadata:3 sink-before-commit:2 \
             sink-after-commit:2; do
  echo "--- kill point $point"
  rm -rf "$STATE"; DB=$TMP/kp-${point%%:*}.db
  killed=0 restores=0 restore_ms_total=0
  run_kill_point hourly "$point"
  check
done
# A crash during a restore: killed after checkpoint 2, killed again while
# the engine resumes the job from it, then resumed for good.
echo "--- kill point restore"
rm -rf "$STATE"; DB=$TMP/kp-restore.db
job_script ""
WEIR_KILL_AT=checkpoint-after-metadata:2 "$WEIR" "$STATE" -f "$TMP/job.sql" >/dev/null 2>&1 || true
rc=0; WEIR_KILL_AT=restore "$WEIR" "$STATE" -c "SHOW JOBS;" >/dev/null 2>&1 || rc=$?
((rc == 137)) || { echo "FAIL: kill point restore was not reached ($rc)"; exit 1; }
resume_to_end "after kill point restore"
killed=2 restores=2
check
# A crash during a stop with a savepoint: the savepoint is complete, the
# sinks have not committed it.  The job runs in the background, a short
# paced job in between lets it run about 1 s, then STOP JOB ... WITH
# SAVEPOINT kills the process at the seam.  Resuming must start from the
# savepoint (it joined the checkpoints), so nothing is written twice.
echo "--- kill point savepoint-before-commit"
rm -rf "$STATE"; DB=$TMP/kp-savepoint.db
job_script ""
{ echo "SET 'table.dml-sync' = 'false';"; cat "$TMP/job.sql"; cat <<SQL
SET 'pipeline.name' = 'pause';
CREATE TABLE tick (auction BIGINT) WITH ('connector' = 'nexmark', 'nexmark.table' = 'bid',
  'events' = '1000', 'nexmark.events-per-second' = '1000', 'nexmark.pace' = 'true');
CREATE TABLE nothing (auction BIGINT) WITH ('connector' = 'blackhole');
SET 'table.dml-sync' = 'true';
INSERT INTO nothing SELECT auction FROM tick;
STOP JOB 'hourly' WITH SAVEPOINT;
SQL
} > "$TMP/stop.sql"
rc=0; WEIR_KILL_AT=savepoint-before-commit "$WEIR" "$STATE" -f "$TMP/stop.sql" >/dev/null 2>"$TMP/err.txt" || rc=$?
((rc == 137)) || { cat "$TMP/err.txt"; echo "FAIL: kill point savepoint-before-commit was not reached ($rc)"; exit 1; }
ls "$STATE"/savepoints/hourly/savepoint-*/_metadata >/dev/null || { echo "FAIL: no savepoint"; exit 1; }
resume_to_end "after kill point savepoint-before-commit"
sp=$(ls -d "$STATE"/savepoints/hourly/savepoint-*); sp_id=${sp##*/savepoint-}; sp_id=${sp_id%%-*}
grep -q "resuming job 'hourly' from .*/chk-$sp_id\$" "$TMP/err.txt" ||
  { cat "$TMP/err.txt"; echo "FAIL: not resumed from the savepoint (chk-$sp_id)"; exit 1; }
killed=1 restores=1
check
