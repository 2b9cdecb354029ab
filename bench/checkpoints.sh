#!/usr/bin/env bash
# checkpoints.sh -- what checkpoints cost: Nexmark q5 (bench/nexmark/q5.sql)
# at parallelism 2 into a blackhole, without checkpoints and with them
# every 10 s and every 1 s, aligned and unaligned; then the time to restore
# after a SIGKILL.
#
#   bench/checkpoints.sh [EVENTS [EPS]]   (default 300 M events at 1 M events/s
#                                          of event time: about 20 s per run)
#
# Prints wall s, CPU s, events per CPU-second, the loss against no
# checkpoints, and the checkpoints' count, mean duration and mean size (from
# the job's log line); then kills a run with checkpoints every 1 s after
# 60 % of its time, reopens its state directory (which resumes it from its
# newest checkpoint) and prints the restore's figures.  Needs /usr/bin/time (scripts/bench-setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-300000000} eps=${2:-1000000}
source bench/lib.bash
bench_setup time

script() { # INTERVAL [RESTORE_FROM]
  { echo "SET 'parallelism.default' = '2'; SET 'pipeline.name' = 'q5';"
    [[ $1 != none ]] && echo "SET 'execution.checkpointing.interval' = '${1% unaligned}';"
    [[ $1 == *unaligned ]] && echo "SET 'execution.checkpointing.unaligned' = 'true';"
    [[ -n "${2:-}" ]] && echo "SET 'execution.savepoint.path' = '$2';"
    sed -e "s/\${EVENTS}/$events/g; s/\${EPS}/$eps/g; s/\${SINK}/blackhole/g; s/\${SINK_OPTIONS}//g" \
      bench/nexmark/q5.sql; } > "$tmp/job.sql"
}

echo "Nexmark q5, $events events at $eps events/s of event time, parallelism 2 ($(date -u +%F), $(nproc) CPUs)"
printf "| %-14s | %7s | %7s | %13s | %6s | %11s | %8s | %9s |\n" interval "wall s" "CPU s" \
  "events/CPU-s" loss checkpoints "mean ms" "mean MB"
printf "| %-14s | %7s | %7s | %13s | %6s | %11s | %8s | %9s |\n" --- ---: ---: ---: ---: ---: ---: ---:
base=""
for iv in none "10 s" "1 s" "1 s unaligned"; do
  script "$iv"
  rm -rf "$tmp/state"
  /usr/bin/time -f "%e %U %S" -o "$tmp/time" build-bench/weir "$tmp/state" -f "$tmp/job.sql" \
    >/dev/null 2>"$tmp/err"
  read -r wall user sys < "$tmp/time"
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN {printf "%.2f", u + s}')
  [[ -z "$base" ]] && base=$cpu
  read -r n ms mb < <(sed -n 's/.* \([0-9]*\) checkpoints, mean \([0-9]*\) ms.*mean size \([0-9.]*\) MB.*/\1 \2 \3/p' \
    "$tmp/err" | head -1; echo "0 - -")
  printf "| %-14s | %7s | %7s | %11.2f M | %5.1f%% | %11s | %8s | %9s |\n" "$iv" "$wall" "$cpu" \
    "$(awk -v e="$events" -v c="$cpu" 'BEGIN {print e / c / 1e6}')" \
    "$(awk -v c="$cpu" -v b="$base" 'BEGIN {print (c / b - 1) * 100}')" "$n" "$ms" "$mb"
  [[ "$iv" == "1 s" ]] && full=$wall
done

# Kill a run with checkpoints every 1 s after 60 % of its time; restore.
script "1 s"
rm -rf "$tmp/state"
build-bench/weir "$tmp/state" -f "$tmp/job.sql" >/dev/null 2>&1 &
pid=$!
sleep "$(awk -v w="$full" 'BEGIN {print w * 0.6}')"
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
ck=""
for d in "$tmp"/state/checkpoints/q5/chk-*; do [[ -f "$d/_metadata" ]] && ck=$d; done
size=$(du -sh "$ck" | cut -f1)
# Reopening the state directory resumes the job from its newest checkpoint.
/usr/bin/time -f "%e" -o "$tmp/time" build-bench/weir "$tmp/state" -c "SHOW JOBS;" >/dev/null 2>"$tmp/err"
echo
echo "SIGKILL after $(awk -v w="$full" 'BEGIN {print w * 0.6}') s; restored from $(basename "$ck") ($size):"
grep -E "restored from|first record" "$tmp/err" | sed 's/^\[INFO\] /  /'
echo "  the rest of the job took $(cat "$tmp/time") s"
