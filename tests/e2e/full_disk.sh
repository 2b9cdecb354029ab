#!/usr/bin/env bash
# Writes that fail: a SQLite sink whose file cannot grow (a file-size limit
# stands in for a full disk) and results written to a full device.  The
# job fails with a clear message and a non-zero status, never a crash, and
# the sink database is left consistent (committed transactions only).
source "$(dirname "$0")/lib.bash"
fail() { echo "FAIL: $*"; exit 1; }
csv=$WEIR_SHARED_DATA/flights-2001-01.csv
need_file "$csv"
cd "$TMP"
cat > job.sql <<SQL
CREATE TABLE f (ts TIMESTAMP(3), delay INT, distance INT, origin VARCHAR, destination VARCHAR,
  WATERMARK FOR ts AS ts)
  WITH ('connector' = 'file', 'path' = '$csv', 'format' = 'csv', 'csv.header' = 'true');
CREATE TABLE s (origin VARCHAR, destination VARCHAR, w TIMESTAMP(3), n BIGINT,
  PRIMARY KEY (origin, destination, w) NOT ENFORCED)
  WITH ('connector' = 'sqlite', 'path' = 'full.db', 'sink.buffer-flush.max-rows' = '1000');
INSERT INTO s SELECT origin, destination, window_start, COUNT(*)
FROM TABLE(TUMBLE(TABLE f, DESCRIPTOR(ts), INTERVAL '1' HOUR))
GROUP BY origin, destination, window_start, window_end;
SQL
set +e
bash -c "trap '' XFSZ; ulimit -f 400; exec \"$WEIR\" -f job.sql" > out.txt 2> err.txt
status=$?
set -e
cat err.txt
[[ $status == 1 ]] || fail "status $status, expected 1"
grep -q "sqlite sink 'full.db' (table 's')" err.txt || fail "no sink error message"
grep -q "I/O error\|disk is full\|database or disk is full" err.txt || fail "the cause is not named"
# What was committed is readable and whole.
[[ $(sqlite3 full.db "PRAGMA integrity_check") == ok ]] || fail "sink database corrupt"
echo "committed before the failure: $(sqlite3 full.db 'SELECT count(*) FROM s') rows"

set +e
"$WEIR" -c "SELECT 'x' AS y;" > /dev/full 2> err2.txt
status=$?
set -e
[[ $status == 1 ]] && grep -q "cannot write" err2.txt || fail "writing to a full device: status $status, $(cat err2.txt)"
echo PASS
