# lib.bash -- helpers of the end-to-end tests (sourced, not run).
#
# Environment (set by ctest): WEIR (the weir binary), WEIR_SHARED_DATA,
# WEIR_TEST_TMP (a directory of this test's own), WEIR_SOURCE_DIR.
set -euo pipefail
: "${WEIR:?WEIR must name the weir binary}"
: "${WEIR_SHARED_DATA:?}" "${WEIR_TEST_TMP:?}" "${WEIR_SOURCE_DIR:?}"
command -v sqlite3 >/dev/null || { echo "sqlite3 is needed (apt-get install sqlite3)"; exit 1; }

TMP=$WEIR_TEST_TMP
rm -rf "$TMP"
mkdir -p "$TMP"

need_file() {
  [[ -f "$1" ]] || { echo "missing dataset $1 (set WEIR_SHARED_DATA)"; exit 1; }
}

# import_csv DB TABLE FILE: load a CSV with a header line into sqlite3
# (every column is TEXT, as sqlite3's .import makes it).
import_csv() {
  sqlite3 "$1" <<SQL
DROP TABLE IF EXISTS $2;
.import --csv $3 $2
SQL
}

# import_jsonl DB TABLE FILE: one row per JSON line, in file order, in
# column j.
import_jsonl() {
  local arr="$TMP/$(basename "$3").json"
  sed '1s/^/[/; $!s/$/,/; $s/$/]/' "$3" > "$arr"
  sqlite3 "$1" "DROP TABLE IF EXISTS $2;
    CREATE TABLE $2 (n INTEGER PRIMARY KEY, j TEXT);
    INSERT INTO $2 (n, j) SELECT key, value FROM json_each(readfile('$arr'));"
}

# same_rows DB 'QUERY A' 'QUERY B' LABEL: the two queries return the same
# multiset of rows; prints the differences and fails otherwise.
same_rows() {
  local db=$1 a=$2 b=$3 label=$4
  local na nb only_a only_b
  na=$(sqlite3 "$db" "SELECT count(*) FROM ($a)")
  nb=$(sqlite3 "$db" "SELECT count(*) FROM ($b)")
  only_a=$(sqlite3 "$db" "SELECT count(*) FROM (SELECT * FROM ($a) EXCEPT SELECT * FROM ($b))")
  only_b=$(sqlite3 "$db" "SELECT count(*) FROM (SELECT * FROM ($b) EXCEPT SELECT * FROM ($a))")
  echo "$label: weir $na rows, oracle $nb rows, only in weir $only_a, only in oracle $only_b"
  if [[ "$na" != "$nb" || "$only_a" != 0 || "$only_b" != 0 || "$na" == 0 ]]; then
    echo "--- rows only in weir:";   sqlite3 "$db" "SELECT * FROM ($a) EXCEPT SELECT * FROM ($b) LIMIT 10"
    echo "--- rows only in oracle:"; sqlite3 "$db" "SELECT * FROM ($b) EXCEPT SELECT * FROM ($a) LIMIT 10"
    echo "FAIL: $label"
    exit 1
  fi
}

# run_weir SCRIPT: run a script; its stderr (job summaries) goes to
# $TMP/stderr.txt and is also shown.
run_weir() {
  "$WEIR" -f "$1" 2> "$TMP/stderr.txt" || { cat "$TMP/stderr.txt"; echo "FAIL: weir -f $1"; exit 1; }
  cat "$TMP/stderr.txt"
}

# summary_field N: field N of the last INSERT summary line
# ("... finished: R rows read, W rows written, L late rows dropped, S ...").
summary_field() {
  grep "finished:" "$TMP/stderr.txt" | tail -1 | sed -E 's/.*finished: ([0-9]+) rows read, ([0-9]+) rows written, ([0-9]+) late rows dropped, ([0-9]+) malformed.*/\1 \2 \3 \4/' | cut -d' ' -f"$1"
}
