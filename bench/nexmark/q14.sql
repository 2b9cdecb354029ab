-- Nexmark q14: price band and time-of-day class of bids in a price range; count_char(extra, 'c')
-- (a UDF in Flink's version) is written with CHAR_LENGTH and REPLACE.
-- ${EVENTS} and ${EPS} are set by bench/nexmark.sh (see its header).
CREATE TABLE bid (
  auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
  date_time TIMESTAMP(3), extra VARCHAR,
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND
) WITH ('connector' = 'nexmark', 'nexmark.table' = 'bid', 'events' = '${EVENTS}',
        'nexmark.events-per-second' = '${EPS}');
CREATE TABLE sink (auction BIGINT, bidder BIGINT, price DOUBLE, bid_time_type VARCHAR, date_time TIMESTAMP(3), extra VARCHAR, c_counts BIGINT) WITH ('connector' = '${SINK}'${SINK_OPTIONS});
INSERT INTO sink
SELECT auction, bidder, 0.908 * price AS price,
       CASE WHEN HOUR(date_time) >= 8 AND HOUR(date_time) <= 18 THEN 'dayTime'
            WHEN HOUR(date_time) <= 6 OR HOUR(date_time) >= 20 THEN 'nightTime'
            ELSE 'otherTime' END AS bid_time_type,
       date_time, extra, CHAR_LENGTH(extra) - CHAR_LENGTH(REPLACE(extra, 'c', '')) AS c_counts
FROM bid
WHERE 0.908 * price > 1000000 AND 0.908 * price < 50000000;
