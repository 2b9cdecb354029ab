-- Nexmark q12: bids per bidder per 10 s processing-time TUMBLE window.
-- ${EVENTS} and ${EPS} are set by bench/nexmark.sh (see its header).
-- The window follows the wall clock, so its contents depend on the run;
-- this query is benchmarked, not checked against an oracle.
CREATE TABLE bid (
  auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
  date_time TIMESTAMP(3), extra VARCHAR, p_time AS PROCTIME()
) WITH ('connector' = 'nexmark', 'nexmark.table' = 'bid', 'events' = '${EVENTS}',
        'nexmark.events-per-second' = '${EPS}');
CREATE TABLE sink (bidder BIGINT, bid_count BIGINT, window_start TIMESTAMP(3), window_end TIMESTAMP(3)) WITH ('connector' = '${SINK}'${SINK_OPTIONS});
INSERT INTO sink
SELECT bidder, COUNT(*) AS bid_count, window_start, window_end
FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(p_time), INTERVAL '10' SECOND))
GROUP BY bidder, window_start, window_end;
