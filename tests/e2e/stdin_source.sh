#!/usr/bin/env bash
# The stdin source ('connector' = 'stdin'): CSV and JSON lines piped into
# `weir -c` reach the sink whole (compared with sqlite3 over the same
# file); EXPLAIN states that the job is at most once, checkpoints warn so,
# a malformed record fails the job with its line number and is not
# restarted (a restart would lose rows without a word), and the error
# policy 'skip' skips and counts it.
source "$(dirname "$0")/lib.bash"
fail() { echo "FAIL: $*"; exit 1; }
csv=$WEIR_SHARED_DATA/flights-2001-01.csv
need_file "$csv"
cd "$TMP"
ddl0="CREATE TABLE f (ts TIMESTAMP(3), delay INT, distance INT, origin VARCHAR, destination VARCHAR,
  WATERMARK FOR ts AS ts - INTERVAL '5' MINUTE)
  WITH ('connector' = 'stdin', 'format' = 'csv', 'csv.header' = 'true'\$policy);
CREATE TABLE o (origin VARCHAR, n BIGINT, total BIGINT, PRIMARY KEY (origin) NOT ENFORCED)
  WITH ('connector' = 'sqlite', 'path' = 'o.db', 'table-name' = 'o');"
ddl=${ddl0/\$policy/}
insert="INSERT INTO o SELECT origin, COUNT(*), SUM(delay) FROM f GROUP BY origin;"

# 1. CSV at parallelism 2 with checkpoints: every row, a warning.
"$WEIR" state -c "SET 'parallelism.default' = '2'; SET 'execution.checkpointing.interval' = '100 ms';
$ddl EXPLAIN $insert $insert" < "$csv" > out.txt 2> err.txt || fail "run: $(cat err.txt)"
grep -q "guarantee=at-most-once(source not replayable)" out.txt || fail "EXPLAIN: $(cat out.txt)"
grep -q "\[WARN\] job 'insert-1': table 'f' reads a source that cannot be read again" err.txt ||
  fail "no warning: $(cat err.txt)"
import_csv ref.db flights "$csv"
want=$(sqlite3 ref.db "SELECT origin, COUNT(*), SUM(CAST(NULLIF(delay, '') AS INTEGER)) FROM flights
  GROUP BY origin ORDER BY origin" | md5sum)
got=$(sqlite3 o.db "SELECT origin, n, total FROM o ORDER BY origin" | md5sum)
[[ "$want" == "$got" ]] || fail "the sink differs from sqlite3 over the same file"
echo "csv: $(sqlite3 o.db 'SELECT count(*), sum(n) FROM o') (origins, rows)"

# 2. JSON lines.
printf '{"k":"a","v":1}\n{"k":"b","v":2}\n{"k":"a","v":3}\n' |
  "$WEIR" -c "CREATE TABLE j (k VARCHAR, v INT) WITH ('connector' = 'stdin', 'format' = 'json');
SELECT k, SUM(v) AS s FROM j GROUP BY k;" > json.txt 2>&1 || fail "json: $(cat json.txt)"
grep -q "| a *| 4 *|" json.txt && grep -q "| b *| 2 *|" json.txt || fail "json: $(cat json.txt)"

# 3. A malformed record fails the job, with its line, and no restart.
rm -f o.db
set +e
{ head -1000 "$csv"; echo "2001-01-01 09:00:00,oops,1,X,Y"; tail -n +1001 "$csv" | head -1000; } |
  "$WEIR" state3 -c "SET 'execution.checkpointing.interval' = '100 ms';
SET 'restart-strategy.type' = 'fixed-delay'; SET 'restart-strategy.fixed-delay.delay' = '10 ms';
SET 'pipeline.name' = 'bad'; $ddl $insert" > out3.txt 2> err3.txt
status=$?
set -e
[[ $status != 0 ]] || fail "a malformed record did not fail the job"
grep -q "<stdin>:1001:" err3.txt || fail "no line number: $(cat err3.txt)"
grep -q "failed and is not restarted: table 'f' cannot be read again" err3.txt ||
  fail "restarted? $(cat err3.txt)"

# 4. ... or is skipped and counted.
skip=", 'format.error-policy' = 'skip'"
{ head -1000 "$csv"; echo "2001-01-01 09:00:00,oops,1,X,Y"; } |
  "$WEIR" -c "${ddl0/\$policy/$skip} $insert" \
  > out4.txt 2> err4.txt || fail "skip: $(cat err4.txt)"
grep -q "999 rows read.*1 malformed records skipped" err4.txt || fail "skip: $(cat err4.txt)"

# 5. Bad options are refused.
set +e
"$WEIR" -c "CREATE TABLE x (a INT) WITH ('connector' = 'stdin', 'format' = 'csv', 'path' = 'x.csv');" \
  > out5.txt 2>&1
status=$?
set -e
[[ $status != 0 ]] && grep -qi "path" out5.txt || fail "an option stdin does not take: $(cat out5.txt)"
echo PASS
