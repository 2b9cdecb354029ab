#!/usr/bin/env bash
# The weir program: -c, -f, piped input, output modes, exit statuses and
# error messages that name the script line.
source "$(dirname "$0")/lib.bash"
fail() { echo "FAIL: $*"; exit 1; }
expect_status() { # expect_status N CMD...
  local want=$1; shift
  set +e; "$@" > "$TMP/out.txt" 2> "$TMP/err.txt"; local got=$?; set -e
  [[ $got == "$want" ]] || { cat "$TMP/out.txt" "$TMP/err.txt"; fail "$* exited $got, expected $want"; }
}

expect_status 0 "$WEIR" -c "SELECT 1 + 1 AS two;"
grep -q '| *2 |' "$TMP/out.txt" || fail "-c output: $(cat "$TMP/out.txt")"

expect_status 0 "$WEIR" -m csv -c "SELECT 'a,b' AS x, 3 AS y, CAST(NULL AS INT) AS z;"
[[ $(cat "$TMP/out.txt") == $'x,y,z\n"a,b",3,' ]] || fail "csv output: $(cat "$TMP/out.txt")"

expect_status 0 "$WEIR" -m list -c "SELECT 'a' AS x, 2.5 AS y;"
[[ $(cat "$TMP/out.txt") == $'x|y\na|2.5' ]] || fail "list output: $(cat "$TMP/out.txt")"

expect_status 2 "$WEIR" --bogus
grep -q "unknown option" "$TMP/err.txt" || fail "usage message"
expect_status 2 "$WEIR" -f
expect_status 0 "$WEIR" --help
expect_status 1 "$WEIR" -f "$TMP/no-such-file.sql"
grep -q "cannot open" "$TMP/err.txt" || fail "missing script message"

# A script stops at its first failing statement, and the message names the
# line of the script.
cat > "$TMP/bad.sql" <<'SQL'
SELECT 'first' AS a;
-- a comment
SELECT *
FROM nowhere;
SELECT 'never' AS b;
SQL
expect_status 1 "$WEIR" -f "$TMP/bad.sql"
grep -q "first" "$TMP/out.txt" || fail "first statement did not run"
grep -q "never" "$TMP/out.txt" && fail "the script went on after an error"
grep -q "unknown table 'nowhere' at line 4, column 6" "$TMP/err.txt" || fail "error position: $(cat "$TMP/err.txt")"

printf 'SELECT 1 AS a;\nSELECT 2 AS b FROM\n' > "$TMP/syntax.sql"
expect_status 1 "$WEIR" -f "$TMP/syntax.sql"
grep -q "syntax error at end of statement at line 2" "$TMP/err.txt" || fail "syntax error: $(cat "$TMP/err.txt")"

# Piped into the shell: statements run as they complete; the status tells
# whether all succeeded.
printf 'SELECT 7 AS a;\nSELECT\n 8 AS b;\nSELECT nope;\n' | { set +e; "$WEIR" > "$TMP/out.txt" 2> "$TMP/err.txt"; echo $? > "$TMP/status"; }
[[ $(cat "$TMP/status") == 1 ]] || fail "piped status $(cat "$TMP/status")"
grep -q '| 7 |' "$TMP/out.txt" && grep -q '| 8 |' "$TMP/out.txt" || fail "piped output: $(cat "$TMP/out.txt")"
grep -q "unknown column 'nope'" "$TMP/err.txt" || fail "piped error"

# INSERT reports its job on standard error; the SQLite table holds the rows.
cat > "$TMP/insert.sql" <<SQL
CREATE TABLE f (ts TIMESTAMP(3), delay INT, distance INT, origin VARCHAR, destination VARCHAR,
  WATERMARK FOR ts AS ts)
  WITH ('connector' = 'file', 'path' = '$WEIR_SOURCE_DIR/examples/data/flights-2001-01-01_03.csv',
        'format' = 'csv', 'csv.header' = 'true');
CREATE TABLE s (d TIMESTAMP(3), n BIGINT, PRIMARY KEY (d) NOT ENFORCED)
  WITH ('connector' = 'sqlite', 'path' = '$TMP/s.db');
SET 'pipeline.name' = 'daily-count';
INSERT INTO s SELECT window_start, COUNT(*) FROM TABLE(TUMBLE(TABLE f, DESCRIPTOR(ts), INTERVAL '1' DAY))
  GROUP BY window_start, window_end;
SQL
expect_status 0 "$WEIR" -f "$TMP/insert.sql"
grep -q "job 'daily-count' finished: 48626 rows read, 3 rows written, 0 late rows dropped" "$TMP/err.txt" || fail "summary: $(cat "$TMP/err.txt")"
[[ $(sqlite3 "$TMP/s.db" "SELECT group_concat(d || '=' || n, ' ') FROM (SELECT * FROM s ORDER BY d)") == \
   "2001-01-01 00:00:00.000=14828 2001-01-02 00:00:00.000=16850 2001-01-03 00:00:00.000=16948" ]] \
  || fail "sink rows: $(sqlite3 "$TMP/s.db" 'SELECT * FROM s')"
echo PASS
