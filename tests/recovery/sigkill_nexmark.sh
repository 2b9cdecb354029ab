#!/usr/bin/env bash
# SIGKILL recovery on Nexmark q5 (bids per auction per HOP window), smoke
# profile, at parallelism 2, checkpoints every 200 ms, an exactly-once
# SQLite sink without a primary key (append: a duplicate would show); the
# source is paced at 10 times the wall clock so that the job runs for
# about 10 s and fires a window every 0.2 s.  The sink is compared with the
# batch oracle (sqlite3 over the same bids).
#
#   tests/recovery/sigkill_nexmark.sh [KILLS [SEED]]   (default 20 kills, seed 1)
#
# With WEIR_RECOVERY_UNALIGNED=1 the checkpoints are unaligned; with
# WEIR_RECOVERY_BACKEND=rocksdb the state lives in RocksDB (incremental
# checkpoints, a small cache so that keys are evicted).
source "$(dirname "$0")/driver.bash"
EVENTS=${NEXMARK_EVENTS:-1000000} # the smoke profile
EPS=10000                          # 100 s of event time...
SPEEDUP=10                         # ...played in 10 s

job_script() {
  { echo "SET 'parallelism.default' = '2';"
    echo "SET 'execution.checkpointing.interval' = '200 ms';"
    echo "SET 'execution.checkpointing.num-retained' = '2';"
    echo "SET 'pipeline.name' = 'q5';"
    echo "SET 'state.backend' = '${WEIR_RECOVERY_BACKEND:-hashmap}';"
    echo "SET 'state.backend.rocksdb.memory.managed-size' = '2 mb';"
    [[ "${WEIR_RECOVERY_UNALIGNED:-0}" == 1 ]] && echo "SET 'execution.checkpointing.unaligned' = 'true';"
    [[ -n "$1" ]] && echo "SET 'execution.savepoint.path' = '$1';"
    sed -e "s/\${EVENTS}/$EVENTS/g; s/\${EPS}/$EPS/g; s/\${SINK}/sqlite/g" \
        -e "s|'nexmark.events-per-second' = '$EPS'|&, 'nexmark.pace' = 'true', 'nexmark.pace.speedup' = '$SPEEDUP'|" \
        -e "s|\${SINK_OPTIONS}|, 'path' = '$TMP/weir.db', 'table-name' = 'q5'|g" \
        "$WEIR_SOURCE_DIR/bench/nexmark/q5.sql"; } > "$TMP/job.sql"
}
run_with_kills q5 "${1:-${WEIR_RECOVERY_KILLS:-20}}" "${2:-${WEIR_RECOVERY_SEED:-1}}"

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
FROM (SELECT auction, ms - ms % 2000 - k * 2000 AS s FROM b, k) GROUP BY auction, s;"
read -r lost dup wrong < <(compare "$TMP/weir.db" q5 oracle "auction, num, window_start, window_end")
report "$lost" "$dup" "$wrong" "$(sqlite3 "$TMP/weir.db" "SELECT count(*) FROM oracle")"
