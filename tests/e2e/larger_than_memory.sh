#!/usr/bin/env bash
# Keyed state larger than memory on the rocksdb backend: an updating
# GROUP BY over KEYS distinct keys (datagen ids 1..2*KEYS grouped by
# id % KEYS, so every key gets exactly two rows, far apart) with a memory
# budget well below the state's size.  The result must be exact (every key
# counted twice, the sum of the ids in closed form, read back from the
# SQLite sink), and the process's peak RSS (VmHWM) must stay under the
# budget, while hashmap needs more than the budget for the same query.
#
#   tests/e2e/larger_than_memory.sh                 (CI: 1 M keys, 64 MB)
#   KEYS=20000000 MANAGED_MB=256 BUDGET_MB=512 tests/e2e/larger_than_memory.sh
#                                                    (the full size: ~2 GB of state)
#
# BUDGET_MB is for the whole process: RocksDB and the hot-key caches get
# MANAGED_MB of it ('state.backend.rocksdb.memory.managed-size'), the rest
# covers the code, the threads, the chunks in flight and SQLite.
# Run by hand, it finds the build and a directory of its own.
_root=$(cd "$(dirname "$0")/../.." && pwd)
: "${WEIR:=$_root/build/weir}" "${WEIR_SOURCE_DIR:=$_root}" "${WEIR_SHARED_DATA:=$_root/../shared/data}"
: "${WEIR_TEST_TMP:=${TMPDIR:-/tmp}/weir-larger-than-memory}"
export WEIR WEIR_SOURCE_DIR WEIR_SHARED_DATA WEIR_TEST_TMP
source "$(dirname "$0")/lib.bash"
fail() { echo "FAIL: $*"; exit 1; }
keys=${KEYS:-1000000}
managed=${MANAGED_MB:-8}
budget=${BUDGET_MB:-64}
cd "$TMP"

# Run the query on backend $1 into $2.db; prints the peak RSS in MB.
run() {
  rm -f "$2.db"
  "$WEIR" -c "SET 'parallelism.default' = '2'; SET 'state.backend' = '$1';
SET 'state.backend.rocksdb.memory.managed-size' = '$managed mb';
SET 'state.backend.rocksdb.localdir' = '$TMP/rocksdb';
CREATE TABLE g (id BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '0',
  'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '$((2 * keys))');
CREATE TABLE o (k BIGINT, n BIGINT, total BIGINT, PRIMARY KEY (k) NOT ENFORCED)
  WITH ('connector' = 'sqlite', 'path' = '$2.db', 'table-name' = 'o');
INSERT INTO o SELECT id % $keys, COUNT(*), SUM(id) FROM g GROUP BY id % $keys;" \
    > "$2.out" 2> "$2.err" &
  local pid=$! hwm=0 v
  while kill -0 "$pid" 2> /dev/null; do
    v=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status" 2> /dev/null || true)
    [[ -n "$v" ]] && hwm=$v
    sleep 0.05
  done
  wait "$pid" || fail "$1: $(cat "$2.err")"
  echo $((hwm / 1024))
}

check() { # DB: every key twice, the ids summing to 1 + 2 + ... + 2 KEYS
  local got
  got=$(sqlite3 "$1.db" "SELECT COUNT(*), SUM(n = 2), SUM(total) FROM o")
  [[ "$got" == "$keys|$keys|$((keys * (2 * keys + 1)))" ]] ||
    fail "$1: got $got, want $keys|$keys|$((keys * (2 * keys + 1)))"
}

rss_rocks=$(run rocksdb rocks)
check rocks
left=$(find "$TMP/rocksdb" -type f 2> /dev/null | wc -l)
[[ "$left" == 0 ]] || fail "the RocksDB working files were not removed ($left left)"
echo "rocksdb: $keys keys, peak RSS $rss_rocks MB (budget $budget MB, managed $managed MB)"
((rss_rocks < budget)) || fail "peak RSS $rss_rocks MB is over the budget of $budget MB"

if [[ -z "${SKIP_HASHMAP:-}" ]]; then
  rss_hash=$(run hashmap hash)
  check hash
  echo "hashmap: peak RSS $rss_hash MB"
  # The state does not fit the budget: this run proves something.
  ((rss_hash > budget)) || fail "hashmap fits in $rss_hash MB: the budget is not below the state"
fi
