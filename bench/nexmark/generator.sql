-- The generator-only ceiling: every field of every bid from the Nexmark
-- source straight into the sink, with no watermark and no operator.
-- ${EVENTS} and ${EPS} are set by bench/nexmark.sh (see its header).
CREATE TABLE bid (
  auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
  date_time TIMESTAMP(3), extra VARCHAR
) WITH ('connector' = 'nexmark', 'nexmark.table' = 'bid', 'events' = '${EVENTS}',
        'nexmark.events-per-second' = '${EPS}');
CREATE TABLE sink (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
  date_time TIMESTAMP(3), extra VARCHAR) WITH ('connector' = '${SINK}'${SINK_OPTIONS});
INSERT INTO sink SELECT * FROM bid;
