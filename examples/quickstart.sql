-- quickstart.sql -- weir's main example.
--
-- Three days of real US flights arrive as a stream of departures.  The
-- continuous query below keeps, for every airport and hour, the number of
-- departures, the average delay and the share of delayed flights, and
-- upserts each hour's row into a SQLite table as soon as the watermark
-- closes the hour.
--
-- Run it:   build/weir -f examples/quickstart.sql
-- Look:     sqlite3 out/flights.db "SELECT * FROM hourly_departures LIMIT 10"

-- The source: a CSV file.  Event time is the scheduled departure; rows may
-- arrive up to 5 minutes out of order.
CREATE TABLE flights (
  ts          TIMESTAMP(3),
  delay       INT,
  distance    INT,
  origin      VARCHAR,
  destination VARCHAR,
  WATERMARK FOR ts AS ts - INTERVAL '5' MINUTE
) WITH (
  'connector'  = 'file',
  'path'       = 'examples/data/flights-2001-01-01_03.csv',
  'format'     = 'csv',
  'csv.header' = 'true'
);

-- The sink: a SQLite table, upserted on its primary key.
CREATE TABLE hourly_departures (
  origin       VARCHAR,
  window_start TIMESTAMP(3),
  window_end   TIMESTAMP(3),
  departures   BIGINT,
  avg_delay    DOUBLE,
  delayed_pct  DOUBLE,
  PRIMARY KEY (origin, window_start) NOT ENFORCED
) WITH (
  'connector'  = 'sqlite',
  'path'       = 'out/flights.db',
  'table-name' = 'hourly_departures'
);

-- The continuous query: hourly tumbling windows per origin airport, for
-- airports with at least 10 departures in the hour.
INSERT INTO hourly_departures
SELECT origin,
       window_start,
       window_end,
       COUNT(*)                                              AS departures,
       AVG(CAST(delay AS DOUBLE))                            AS avg_delay,
       100.0 * SUM(CASE WHEN delay > 15 THEN 1 ELSE 0 END) / COUNT(*) AS delayed_pct
FROM TABLE(TUMBLE(TABLE flights, DESCRIPTOR(ts), INTERVAL '1' HOUR))
WHERE distance > 0
GROUP BY origin, window_start, window_end
HAVING COUNT(*) >= 10;
