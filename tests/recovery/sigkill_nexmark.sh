#!/usr/bin/env bash
# SIGKILL recovery driver (TESTING.md section 4) on Nexmark q5 (bids per
# auction per HOP window) at parallelism 2, checkpoints every 200 ms, an
# exactly-once SQLite sink without a primary key (append: a duplicate
# would show), and a source paced at 10 times the wall clock so that the
# job runs for about 10 s, firing a window every 0.2 s.  The driver starts weir, kills it with SIGKILL at a
# seeded random moment, starts it again from the newest complete
# checkpoint, and repeats; the last run goes to the end.  The sink is then
# compared with the batch oracle (sqlite3 over the same bids).
#
#   tests/recovery/sigkill_nexmark.sh [KILLS [SEED]]   (default 20 kills, seed 1)
#
# Prints: kills survived, rows lost, rows duplicated, rows wrong, and the
# mean time from the start of a restore to the first record read.
# Passing means 0 / 0 / 0.
source "$(dirname "$0")/../e2e/lib.bash"
KILLS=${1:-${WEIR_RECOVERY_KILLS:-20}}
SEED=${2:-${WEIR_RECOVERY_SEED:-1}}
EVENTS=${NEXMARK_EVENTS:-1000000} # the smoke profile
EPS=10000 # events per second of event time: 100 s of event time,
SPEEDUP=10 # played 10 times faster than the wall clock: the job takes 10 s
RANDOM=$SEED
STATE=$TMP/state

# The job script; restore from $1 when given.
job_script() {
  { echo "SET 'parallelism.default' = '2';"
    echo "SET 'execution.checkpointing.interval' = '200 ms';"
    echo "SET 'execution.checkpointing.num-retained' = '2';"
    echo "SET 'pipeline.name' = 'q5';"
    [[ -n "$1" ]] && echo "SET 'execution.savepoint.path' = '$1';"
    sed -e "s/\${EVENTS}/$EVENTS/g; s/\${EPS}/$EPS/g; s/\${SINK}/sqlite/g" \
        -e "s|'nexmark.events-per-second' = '$EPS'|&, 'nexmark.pace' = 'true', 'nexmark.pace.speedup' = '$SPEEDUP'|" \
        -e "s|\${SINK_OPTIONS}|, 'path' = '$TMP/weir.db', 'table-name' = 'q5'|g" \
        "$WEIR_SOURCE_DIR/bench/nexmark/q5.sql"; } > "$TMP/job.sql"
}

# The newest checkpoint of job q5 whose _metadata exists (a complete one).
latest_checkpoint() {
  local best="" n=0 d k
  for d in "$STATE"/checkpoints/q5/chk-*; do
    [[ -f "$d/_metadata" ]] || continue
    k=${d##*chk-}
    if ((k > n)); then n=$k; best=$d; fi
  done
  echo "$best"
}

killed=0 restores=0 restore_ms_total=0
while :; do
  ck=$(latest_checkpoint)
  job_script "$ck"
  [[ -n "$ck" ]] && restores=$((restores + 1))
  "$WEIR" "$STATE" -f "$TMP/job.sql" > "$TMP/out.txt" 2> "$TMP/err.txt" &
  pid=$!
  if ((killed < KILLS)); then
    # Somewhere between 0.1 s and 0.6 s into the run.
    sleep "$(printf '0.%03d' $((100 + RANDOM % 500)))"
    if kill -0 "$pid" 2>/dev/null; then
      kill -KILL "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
      killed=$((killed + 1))
    else
      wait "$pid" || { cat "$TMP/err.txt"; echo "FAIL: weir failed"; exit 1; }
      break
    fi
  else
    wait "$pid" || { cat "$TMP/err.txt"; echo "FAIL: weir failed"; exit 1; }
    break
  fi
  ms=$(sed -n "s/.*first record \([0-9.]*\) ms after the restore began.*/\1/p" "$TMP/err.txt" | head -1)
  [[ -n "$ms" ]] && restore_ms_total=$(awk -v a="$restore_ms_total" -v b="$ms" 'BEGIN {print a + b}')
done
cat "$TMP/err.txt"
ms=$(sed -n "s/.*first record \([0-9.]*\) ms after the restore began.*/\1/p" "$TMP/err.txt" | head -1)
[[ -n "$ms" ]] && restore_ms_total=$(awk -v a="$restore_ms_total" -v b="$ms" 'BEGIN {print a + b}')

# The oracle: the same bids through sqlite3.
"$WEIR" -m csv -c "
CREATE TABLE bid (auction BIGINT, price BIGINT, date_time TIMESTAMP(3))
  WITH ('connector' = 'nexmark', 'nexmark.table' = 'bid', 'events' = '$EVENTS',
        'nexmark.events-per-second' = '$EPS');
SELECT auction, price, date_time FROM bid;" > "$TMP/bids.csv"
import_csv "$TMP/weir.db" bids "$TMP/bids.csv"
sqlite3 "$TMP/weir.db" "
CREATE TABLE b AS SELECT CAST(auction AS INTEGER) AS auction,
  CAST(strftime('%s', date_time) AS INTEGER) * 1000 + CAST(substr(date_time, 21, 3) AS INTEGER) AS ms
FROM bids;
CREATE TABLE k (k INTEGER); INSERT INTO k VALUES (0), (1), (2), (3), (4);
CREATE TABLE oracle AS SELECT auction, count(*) AS num,
  strftime('%Y-%m-%d %H:%M:%f', s / 1000.0, 'unixepoch') AS window_start,
  strftime('%Y-%m-%d %H:%M:%f', (s + 10000) / 1000.0, 'unixepoch') AS window_end
FROM (SELECT auction, ms - ms % 2000 - k * 2000 AS s FROM b, k) GROUP BY auction, s;
CREATE TABLE w AS SELECT auction, num, window_start, window_end, count(*) AS c FROM q5
  GROUP BY auction, num, window_start, window_end;
CREATE INDEX oracle_all ON oracle (auction, window_start, num, window_end);
CREATE INDEX w_all ON w (auction, window_start, num, window_end);"
read -r lost dup wrong < <(sqlite3 -separator ' ' "$TMP/weir.db" "
SELECT
  (SELECT count(*) FROM oracle o WHERE NOT EXISTS (SELECT 1 FROM w WHERE w.auction = o.auction
     AND w.num = o.num AND w.window_start = o.window_start AND w.window_end = o.window_end)),
  (SELECT coalesce(sum(c - 1), 0) FROM w),
  (SELECT coalesce(sum(c), 0) FROM w WHERE NOT EXISTS (SELECT 1 FROM oracle o WHERE w.auction = o.auction
     AND w.num = o.num AND w.window_start = o.window_start AND w.window_end = o.window_end));")
rows=$(sqlite3 "$TMP/weir.db" "SELECT count(*) FROM oracle")
epochs=$(sqlite3 "$TMP/weir.db" "SELECT count(*) FROM _weir_commits")
mean=$(awk -v t="$restore_ms_total" -v n="$restores" 'BEGIN {printf "%.1f", n ? t / n : 0}')
echo "kills survived: $killed, restores: $restores, oracle rows: $rows, epochs committed: $epochs"
echo "rows lost: $lost, rows duplicated: $dup, rows wrong: $wrong"
echo "mean time from restore to first record: $mean ms"
if [[ "$lost" != 0 || "$dup" != 0 || "$wrong" != 0 || "$rows" == 0 ]]; then
  echo "FAIL"
  exit 1
fi
echo PASS
