#!/usr/bin/env bash
# Batch oracle on the Nexmark smoke profile (1 M events): the window
# queries of bench/nexmark (q5's bid counts per auction per HOP window, q7's
# maximum price per TUMBLE window) run into SQLite at parallelism 2, and the
# generated bids, dumped to CSV by a plain SELECT, are aggregated by the
# sqlite3 command-line tool; the two must agree row for row.
source "$(dirname "$0")/lib.bash"
EVENTS=${NEXMARK_EVENTS:-1000000}
EPS=10000 # events per second of event time: 1 M events span 100 s

# render QUERY TABLE: the bench query with the smoke profile and a SQLite sink.
render() {
  { echo "SET 'parallelism.default' = '2';"
    sed -e "s/\${EVENTS}/$EVENTS/g; s/\${EPS}/$EPS/g; s/\${SINK}/sqlite/g" \
        -e "s|\${SINK_OPTIONS}|, 'path' = '$TMP/weir.db', 'table-name' = '$2'|g" \
        "$WEIR_SOURCE_DIR/bench/nexmark/$1.sql"; } > "$TMP/$1.sql"
}
render q5 q5
render q7 q7
run_weir "$TMP/q5.sql"
run_weir "$TMP/q7.sql"

# The same bids, as CSV.
"$WEIR" -m csv -c "
CREATE TABLE bid (auction BIGINT, price BIGINT, date_time TIMESTAMP(3))
  WITH ('connector' = 'nexmark', 'nexmark.table' = 'bid', 'events' = '$EVENTS',
        'nexmark.events-per-second' = '$EPS');
SELECT auction, price, date_time FROM bid;" > "$TMP/bids.csv"
echo "bids dumped: $(($(wc -l < "$TMP/bids.csv") - 1))"
import_csv "$TMP/weir.db" bids "$TMP/bids.csv"
sqlite3 "$TMP/weir.db" "
CREATE TABLE b AS SELECT CAST(auction AS INTEGER) AS auction, CAST(price AS INTEGER) AS price,
  CAST(strftime('%s', date_time) AS INTEGER) * 1000 + CAST(substr(date_time, 21, 3) AS INTEGER) AS ms
FROM bids;
CREATE TABLE k (k INTEGER); INSERT INTO k VALUES (0), (1), (2), (3), (4);"
ts() { echo "strftime('%Y-%m-%d %H:%M:%f', ($1) / 1000.0, 'unixepoch')"; }

# q5: HOP size 10 s, slide 2 s: a bid at ms is in the windows starting at
# its 2-s slice and the four before.
same_rows "$TMP/weir.db" \
  "SELECT auction, num, window_start, window_end FROM q5" \
  "SELECT auction, count(*), $(ts "s"), $(ts "s + 10000")
   FROM (SELECT auction, ms - ms % 2000 - k * 2000 AS s FROM b, k) GROUP BY auction, s" \
  "q5 bids per auction per HOP window"
same_rows "$TMP/weir.db" \
  "SELECT window_start, window_end, maxprice FROM q7" \
  "SELECT $(ts "ms - ms % 10000"), $(ts "ms - ms % 10000 + 10000"), max(price)
   FROM b GROUP BY ms - ms % 10000" \
  "q7 maximum price per TUMBLE window"
echo PASS
