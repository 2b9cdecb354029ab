// run.mjs -- the DuckDB side of bench/vs_duckdb.sh: one windowed aggregation
// over a CSV file, timed inside the process (wall and CPU seconds), printed
// as "wall cpu rows" on stdout.
//
//   node run.mjs FILE.csv
import { DuckDBInstance } from '@duckdb/node-api';

const file = process.argv[2];
const instance = await DuckDBInstance.create(':memory:', { threads: process.env.DUCKDB_THREADS || '1' });
const con = await instance.connect();
// Timed: the query alone (reading and parsing the CSV, the aggregation), not
// starting node or DuckDB.
const t0 = process.hrtime.bigint();
const c0 = process.cpuUsage();
// The hourly TUMBLE window per origin of bench/vs_duckdb.sh, as a batch GROUP BY.
const sql = `
  SELECT origin, time_bucket(INTERVAL 1 HOUR, ts) AS window_start, count(*) AS flights,
         avg(delay) AS avg_delay, max(delay) AS max_delay
  FROM read_csv('${file.replace(/'/g, "''")}', header = true,
                columns = {'ts': 'TIMESTAMP', 'delay': 'INTEGER', 'distance': 'INTEGER',
                           'origin': 'VARCHAR', 'destination': 'VARCHAR'})
  GROUP BY ALL`;
const reader = await con.runAndReadAll(`SELECT count(*) FROM (${sql})`);
const rows = Number(reader.getRows()[0][0]);
const wall = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(c0);
console.log(`${wall.toFixed(3)} ${((cpu.user + cpu.system) / 1e6).toFixed(3)} ${rows}`);
