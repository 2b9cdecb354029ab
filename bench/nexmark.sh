#!/usr/bin/env bash
# nexmark.sh -- run Nexmark queries (bench/nexmark/qN.sql) on the built-in
# generator into a blackhole sink and print a table of figures.
#
#   bench/nexmark.sh [-p PROFILE] [-j PARALLELISM] [-r RUNS] [QUERY ...]
#
#   PROFILE      smoke (1 M events, default), v1 (100 M events at 10 M/s of
#                event time) or v2 (200 M events at 100 K/s of event time)
#   PARALLELISM  'parallelism.default' of the jobs (default: the number of CPUs)
#   RUNS         runs of each query, each in a fresh process; the median
#                by CPU time is reported (default 3)
#   QUERY        q0 q1 q2 q5 q7 q12 q14 q21 q22 (default: all of them)
#
# Columns: events generated (persons, auctions and bids), wall seconds, CPU
# seconds (user + system, from getrusage through GNU time), events per
# CPU-second, peak RSS, and the generator-only ceiling: every bid from the
# source straight into the blackhole (bench/nexmark/generator.sql), measured
# in the same invocation.  Needs /usr/bin/time (scripts/bench-setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

profile=smoke par=$(nproc) runs=3
while getopts "p:j:r:h" o; do
  case $o in
  p) profile=$OPTARG ;;
  j) par=$OPTARG ;;
  r) runs=$OPTARG ;;
  *) sed -n '2,18p' "$0"; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
case $profile in
smoke) events=1000000 eps=10000000 ;;
v1) events=100000000 eps=10000000 ;;
v2) events=200000000 eps=100000 ;;
*) echo "unknown profile '$profile' (smoke, v1 or v2)" >&2; exit 2 ;;
esac
queries=("$@")
[[ ${#queries[@]} -gt 0 ]] || queries=(q0 q1 q2 q5 q7 q12 q14 q21 q22)
for q in "${queries[@]}"; do
  [[ -f bench/nexmark/$q.sql ]] || { echo "no query bench/nexmark/$q.sql" >&2; exit 2; }
done
source bench/lib.bash
bench_setup time

# script Q: the runnable script of query Q for this profile.
script() {
  { echo "SET 'parallelism.default' = '$par';"
    sed -e "s/\${EVENTS}/$events/g; s/\${EPS}/$eps/g; s/\${SINK}/blackhole/g; s/\${SINK_OPTIONS}//g" \
      "bench/nexmark/$1.sql"; } > "$tmp/$1.sql"
  echo "$tmp/$1.sql"
}

# measure Q: "wall cpu rss_kb" of the median run (by CPU time).
measure() {
  local f i
  f=$(script "$1")
  for ((i = 0; i < runs; i++)); do
    /usr/bin/time -f "%e %U %S %M" -o "$tmp/time" build-bench/weir -f "$f" >/dev/null 2>"$tmp/err" ||
      { cat "$tmp/err" >&2; echo "query $1 failed" >&2; exit 1; }
    awk '{printf "%.3f %.3f %d\n", $1, $2 + $3, $4}' "$tmp/time"
  done | sort -k2 -n | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}'
}

read -r _ gcpu _ < <(measure generator)
ceiling=$(awk -v e="$events" -v c="$gcpu" 'BEGIN {printf "%.2f M", (c > 0 ? e / c / 1e6 : 0)}')
echo "Nexmark, profile $profile: $events events at $eps events/s of event time," \
  "parallelism $par, median of $runs runs ($(date -u +%F), $(nproc) CPUs)"
printf "| %-5s | %11s | %7s | %7s | %15s | %9s | %20s |\n" query events "wall s" "CPU s" \
  "events/CPU-s" "peak RSS" "generator ceiling"
printf "| %-5s | %11s | %7s | %7s | %15s | %9s | %20s |\n" --- ---: ---: ---: ---: ---: ---:
for q in "${queries[@]}"; do
  read -r wall cpu rss < <(measure "$q")
  rate=$(awk -v e="$events" -v c="$cpu" 'BEGIN {printf "%.2f M", (c > 0 ? e / c / 1e6 : 0)}')
  printf "| %-5s | %11s | %7s | %7s | %15s | %6d MB | %20s |\n" "$q" "$events" "$wall" "$cpu" \
    "$rate" $((rss / 1024)) "$ceiling"
done
