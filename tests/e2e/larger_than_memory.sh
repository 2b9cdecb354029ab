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
# Then a savepoint of that state: the job runs again in the shell and is
# stopped with a savepoint once most keys are in.  The savepoint is larger
# than the budget, yet taking it raises the peak RSS by little and
# restoring it on rocksdb stays under the budget (the state streams from
# and into the store); it restores on
# hashmap at parallelism 1 too, and both finish with the exact result.
# SKIP_SAVEPOINT=1 leaves this part out.
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

# The query's statements on backend $1 into $2.db, after the lines $3.
query() {
  cat << EOF
SET 'parallelism.default' = '${P:-2}'; SET 'state.backend' = '$1';
SET 'state.backend.rocksdb.memory.managed-size' = '$managed mb';
SET 'state.backend.rocksdb.localdir' = '$TMP/rocksdb';
${3:-}
CREATE TABLE g (id BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '0',
  'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '$((2 * keys))');
CREATE TABLE o (k BIGINT, n BIGINT, total BIGINT, PRIMARY KEY (k) NOT ENFORCED)
  WITH ('connector' = 'sqlite', 'path' = '$2.db', 'table-name' = 'o');
CREATE JOB ltm AS INSERT INTO o SELECT id % $keys, COUNT(*), SUM(id) FROM g GROUP BY id % $keys;
EOF
}

# Wait for process $1 to end (its outputs are $2.out and $2.err); prints
# its peak RSS in MB.
peak() {
  local hwm=0 v
  while kill -0 "$1" 2> /dev/null; do
    v=$(awk '/^VmHWM/ {print $2}' "/proc/$1/status" 2> /dev/null || true)
    [[ -n "$v" ]] && hwm=$v
    sleep 0.05
  done
  wait "$1" || fail "$2: $(cat "$2.err")"
  echo $((hwm / 1024))
}

# Run the query on backend $1 into $2.db (after the lines $3; without
# them, into a new table); prints the peak RSS in MB.
run() {
  [[ -n "${3:-}" ]] || rm -f "$2.db"
  "$WEIR" -c "$(query "$1" "$2" "${3:-}")" > "$2.out" 2> "$2.err" &
  peak $! "$2"
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

[[ -n "${SKIP_SAVEPOINT:-}" ]] && exit 0

# The savepoint.  The shell reads its statements from a pipe, so that the
# job can be stopped once the sink holds most of the keys.
rm -rf sp.db state in && mkfifo in
"$WEIR" "$TMP/state" < in > sp.out 2> sp.err &
pid=$!
exec 3> in
query rocksdb sp "SET 'execution.checkpointing.interval' = '200 ms'; SET 'table.dml-sync' = 'false';" >&3
n=0
for ((i = 0; i < 36000 && n < keys * 9 / 10; i++)); do
  kill -0 "$pid" 2> /dev/null || fail "the shell ended: $(cat sp.err)"
  sleep 0.1
  n=$(sqlite3 sp.db "SELECT COUNT(*) FROM o" 2> /dev/null || echo 0)
done
((n >= keys * 9 / 10)) || fail "the sink holds only $n keys after an hour"
before=$(awk '/^VmHWM/ {print int($2 / 1024)}' "/proc/$pid/status")
echo "STOP JOB 'ltm' WITH SAVEPOINT;" >&3
for ((i = 0; i < 36000; i++)); do
  grep -q "savepoint-" sp.out && break
  kill -0 "$pid" 2> /dev/null || fail "the shell ended: $(cat sp.err)"
  sleep 0.1
done
sp=$(grep -o "/[^ |]*savepoint-[^ |]*" sp.out) || fail "no savepoint: $(cat sp.out sp.err)"
rss_sp=$(awk '/^VmHWM/ {print int($2 / 1024)}' "/proc/$pid/status")
exec 3>&-
wait "$pid" || fail "the shell: $(cat sp.err)"
sp_mb=$(du -sm "$sp" | cut -f1)
echo "savepoint: $sp_mb MB (the sink held $n keys); peak RSS $before MB before it, $rss_sp MB after"
((sp_mb > budget)) || fail "the savepoint ($sp_mb MB) fits the budget: this proves nothing"
# The running job holds more than the run above: its exactly-once sink
# stages a checkpoint interval's changes (some 20 MB here).  What the
# savepoint may add is a bounded buffer, not its size.
((rss_sp - before < sp_mb / 4)) ||
  fail "taking a $sp_mb MB savepoint raised the peak RSS from $before MB to $rss_sp MB"

# Restore it on rocksdb (same parallelism) and on hashmap at parallelism
# 1; each sink starts from the table the savepoint committed.
cp sp.db rs.db && cp sp.db hs.db
rss_rs=$(run rocksdb rs "SET 'execution.savepoint.path' = '$sp';")
check rs
echo "restored on rocksdb: exact, peak RSS $rss_rs MB"
((rss_rs < budget)) || fail "restoring the savepoint: peak RSS $rss_rs MB is over the budget of $budget MB"
P=1 run hashmap hs "SET 'execution.savepoint.path' = '$sp';" > /dev/null
check hs
echo "restored on hashmap at parallelism 1: exact"
