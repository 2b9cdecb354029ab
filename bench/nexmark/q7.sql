-- Nexmark q7: highest bid, the window half: the maximum price per 10 s TUMBLE window.
-- Joining back to the bids at that price needs a join, which weir does not have yet.
-- ${EVENTS} and ${EPS} are set by bench/nexmark.sh (see its header).
CREATE TABLE bid (
  auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
  date_time TIMESTAMP(3), extra VARCHAR,
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND
) WITH ('connector' = 'nexmark', 'nexmark.table' = 'bid', 'events' = '${EVENTS}',
        'nexmark.events-per-second' = '${EPS}');
CREATE TABLE sink (window_start TIMESTAMP(3), window_end TIMESTAMP(3), maxprice BIGINT) WITH ('connector' = '${SINK}'${SINK_OPTIONS});
INSERT INTO sink
SELECT window_start, window_end, MAX(price) AS maxprice
FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(date_time), INTERVAL '10' SECOND))
GROUP BY window_start, window_end;
