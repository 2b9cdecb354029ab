#!/usr/bin/env bash
# state_backends.sh -- the hashmap and rocksdb state backends side by side:
# throughput and peak memory on Nexmark q5, q7's window aggregate and an
# updating GROUP BY over KEYS distinct keys; then the bytes and duration
# of full against incremental rocksdb checkpoints at about 1 GB of state
# with about 1 % of the keys changed between checkpoints.
#
#   bench/state_backends.sh [EVENTS [KEYS]]   (default 100 M Nexmark events,
#                                              10 M keys)
#
# Prints wall s, CPU s, events per CPU-second, peak RSS and, for rocksdb,
# the ratio to hashmap.  The checkpoint part loads KEYS keys (a sequence)
# with a final checkpoint, then restores from it a run whose source picks
# random keys at 1 % of KEYS rows per second, with a checkpoint every second,
# once incremental and once full; it prints the checkpoints' mean duration
# and mean size from the job's log line, and the run's peak RSS (a full
# checkpoint streams the store into its file, so it needs no memory of the
# state's size).  ONLY_CHECKPOINTS=1 runs only that part.  Needs
# /usr/bin/time (scripts/bench-setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-100000000} keys=${2:-10000000}
source bench/lib.bash
bench_setup time

nexmark() { # QUERY
  sed -e "s/\${EVENTS}/$events/g; s/\${EPS}/1000000/g; s/\${SINK}/blackhole/g; s/\${SINK_OPTIONS}//g" \
    "bench/nexmark/$1.sql"
}

updating() { # ROWS: GROUP BY over `keys` random keys
  cat <<SQL
CREATE TABLE g (k BIGINT, v BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '0',
  'number-of-rows' = '$1', 'seed' = '7', 'fields.k.min' = '1', 'fields.k.max' = '$keys',
  'fields.v.min' = '0', 'fields.v.max' = '1000');
CREATE TABLE sink (k BIGINT, n BIGINT, total BIGINT, PRIMARY KEY (k) NOT ENFORCED)
  WITH ('connector' = 'blackhole');
INSERT INTO sink SELECT k, COUNT(*), SUM(v) FROM g GROUP BY k;
SQL
}

run() { # BACKEND NAME EVENTS: run $tmp/q.sql, print a row
  { echo "SET 'parallelism.default' = '2'; SET 'state.backend' = '$1';"; cat "$tmp/q.sql"; } > "$tmp/job.sql"
  rm -rf "$tmp/state"
  /usr/bin/time -f "%e %U %S %M" -o "$tmp/time" build-bench/weir "$tmp/state" -f "$tmp/job.sql" \
    >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
  read -r wall user sys rss < "$tmp/time"
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN {printf "%.2f", u + s}')
  eps=$(awk -v e="$3" -v c="$cpu" 'BEGIN {printf "%.2f", e / c / 1e6}')
  ratio=""
  if [[ $1 == hashmap ]]; then base=$eps; else ratio=$(awk -v a="$eps" -v b="$base" 'BEGIN {printf "%.2f", a / b}'); fi
  printf "| %-22s | %-7s | %7s | %7s | %10s M | %8d | %6s |\n" "$2" "$1" "$wall" "$cpu" "$eps" \
    "$((rss / 1024))" "$ratio"
}

if [[ -z "${ONLY_CHECKPOINTS:-}" ]]; then
echo "State backends, parallelism 2 ($(date -u +%F), $(nproc) CPUs; rocksdb with the default 256 MB managed memory)"
printf "| %-22s | %-7s | %7s | %7s | %12s | %8s | %6s |\n" query backend "wall s" "CPU s" "events/CPU-s" "RSS MB" ratio
printf "| %-22s | %-7s | %7s | %7s | %12s | %8s | %6s |\n" --- --- ---: ---: ---: ---: ---:
nexmark q5 > "$tmp/q.sql"
for b in hashmap rocksdb; do run $b "q5" "$events"; done
nexmark q7 > "$tmp/q.sql" # q7's window half: the highest bid per 10 s window
for b in hashmap rocksdb; do run $b "q7 window aggregate" "$events"; done
rows=$((keys * 2))
updating "$rows" > "$tmp/q.sql"
for b in hashmap rocksdb; do run $b "GROUP BY $((keys / 1000000)) M keys" "$rows"; done
fi

# Full against incremental checkpoints at ~1 GB of state.  The second run
# is the same job (its name, so its shared storage; its operators), over
# a source table of its own (which goes on from the first one's position), restored
# from the first run's last checkpoint.
echo
echo "rocksdb checkpoints every 1 s, $keys keys loaded, then 1 % of them changed per second"
printf "| %-11s | %11s | %8s | %9s | %8s |\n" checkpoints count "mean ms" "mean MB" "RSS MB"
printf "| %-11s | %11s | %8s | %9s | %8s |\n" --- ---: ---: ---: ---:
for inc in true false; do
  rm -rf "$tmp/state"
  cat > "$tmp/load.sql" <<SQL
SET 'parallelism.default' = '2'; SET 'state.backend' = 'rocksdb'; SET 'pipeline.name' = 'load';
SET 'execution.checkpointing.interval' = '1 h';
SET 'execution.checkpointing.incremental' = '$inc';
CREATE TABLE g (k BIGINT, v BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '0',
  'number-of-rows' = '$keys', 'fields.k.kind' = 'sequence', 'fields.k.start' = '1',
  'fields.k.end' = '$keys', 'fields.v.min' = '0', 'fields.v.max' = '1000');
CREATE TABLE sink (k BIGINT, n BIGINT, total BIGINT, PRIMARY KEY (k) NOT ENFORCED)
  WITH ('connector' = 'blackhole');
INSERT INTO sink SELECT k, COUNT(*), SUM(v) FROM g GROUP BY k;
SQL
  build-bench/weir "$tmp/state" -f "$tmp/load.sql" >/dev/null 2>"$tmp/err"
  ck=$(ls -d "$tmp"/state/checkpoints/load/chk-* | sort -t- -k2 -n | tail -1)
  cat > "$tmp/change.sql" <<SQL
SET 'parallelism.default' = '2'; SET 'state.backend' = 'rocksdb'; SET 'pipeline.name' = 'load';
SET 'execution.checkpointing.interval' = '1 s';
SET 'execution.checkpointing.incremental' = '$inc';
SET 'execution.savepoint.path' = '$ck';
CREATE TABLE g2 (k BIGINT, v BIGINT) WITH ('connector' = 'datagen',
  'rows-per-second' = '$((keys / 100))', 'number-of-rows' = '$((keys + keys / 100 * 12))', 'seed' = '3',
  'fields.k.min' = '1', 'fields.k.max' = '$keys', 'fields.v.min' = '0', 'fields.v.max' = '1000');
CREATE TABLE sink2 (k BIGINT, n BIGINT, total BIGINT, PRIMARY KEY (k) NOT ENFORCED)
  WITH ('connector' = 'blackhole');
INSERT INTO sink2 SELECT k, COUNT(*), SUM(v) FROM g2 GROUP BY k;
SQL
  /usr/bin/time -f "%M" -o "$tmp/time" build-bench/weir "$tmp/state" -f "$tmp/change.sql" \
    >/dev/null 2>"$tmp/err"
  rss=$(($(cat "$tmp/time") / 1024))
  read -r n ms mb < <(sed -n 's/.* \([0-9]*\) checkpoints, mean \([0-9]*\) ms.*mean size \([0-9.]*\) MB.*/\1 \2 \3/p' \
    "$tmp/err" | head -1; echo "0 - -")
  printf "| %-11s | %11s | %8s | %9s | %8s |\n" "$([[ $inc == true ]] && echo incremental || echo full)" \
    "$n" "$ms" "$mb" "$rss"
done
