-- Nexmark q5: hot items, the counting half: bids per auction per HOP window (size 10 s, slide 2 s).
-- The "keep the window's maximum" half needs a join, which weir does not have yet.
-- ${EVENTS} and ${EPS} are set by bench/nexmark.sh (see its header).
CREATE TABLE bid (
  auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
  date_time TIMESTAMP(3), extra VARCHAR,
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND
) WITH ('connector' = 'nexmark', 'nexmark.table' = 'bid', 'events' = '${EVENTS}',
        'nexmark.events-per-second' = '${EPS}');
CREATE TABLE sink (auction BIGINT, num BIGINT, window_start TIMESTAMP(3), window_end TIMESTAMP(3)) WITH ('connector' = '${SINK}'${SINK_OPTIONS});
INSERT INTO sink
SELECT auction, COUNT(*) AS num, window_start, window_end
FROM TABLE(HOP(TABLE bid, DESCRIPTOR(date_time), INTERVAL '2' SECOND, INTERVAL '10' SECOND))
GROUP BY auction, window_start, window_end;
