# driver.bash -- the SIGKILL recovery driver shared by tests/recovery/*.sh
# (TESTING.md section 4).  Sourced by them; it sources ../e2e/lib.bash.
# Run by hand, a test finds build/weir and ../shared/data by itself.
#
# The test defines job_script CK (write $TMP/job.sql, restoring from the
# checkpoint directory CK when it is not empty) and calls
# run_with_kills JOB KILLS SEED: start `weir $STATE -f $TMP/job.sql`,
# SIGKILL it at a seeded random moment 0.1-0.6 s into the run (0.4-2 s
# with WEIR_RECOVERY_SLOW=1, under sanitizers), start it
# again from the newest complete checkpoint of job JOB, and repeat until
# KILLS kills; the last run goes to the end.  Once the job is in the state
# directory's catalog a restart is `weir $STATE -c 'SHOW JOBS;'`: the
# engine finds the job RUNNING and resumes it from its newest complete
# checkpoint by itself (before that, the script runs again from the
# start).  Then report LOST DUP WRONG
# prints the figures and fails unless all three are 0.
_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
: "${WEIR:=$_root/build/weir}" "${WEIR_SOURCE_DIR:=$_root}" "${WEIR_SHARED_DATA:=$_root/../shared/data}"
: "${WEIR_TEST_TMP:=$_root/build/test-tmp/recovery_$(basename "$0" .sh)}"
export WEIR WEIR_SOURCE_DIR WEIR_SHARED_DATA WEIR_TEST_TMP
source "$_root/tests/e2e/lib.bash"
STATE=$TMP/state

# The newest checkpoint of job $1 whose _metadata exists (a complete one).
latest_checkpoint() {
  local best="" n=0 d k
  for d in "$STATE"/checkpoints/"$1"/chk-*; do
    [[ -f "$d/_metadata" ]] || continue
    k=${d##*chk-}
    if ((k > n)); then n=$k; best=$d; fi
  done
  echo "$best"
}

# The time from the start of a restore to the first record, from a log.
restore_ms() { sed -n "s/.*first record \([0-9.]*\) ms after the restore began.*/\1/p" "$1" | head -1; }

killed=0 restores=0 restore_ms_total=0
run_with_kills() {
  local job=$1 kills=$2 ck pid ms
  RANDOM=$3
  while :; do
    ck=$(latest_checkpoint "$job")
    [[ -n "$ck" ]] && restores=$((restores + 1))
    if [[ -f "$STATE/catalog.db" &&
          $(sqlite3 "$STATE/catalog.db" "SELECT count(*) FROM jobs") != 0 ]]; then
      # The engine resumes the job itself when it opens the directory.
      "$WEIR" "$STATE" -c "SHOW JOBS;" > "$TMP/out.txt" 2> "$TMP/err.txt" &
    else
      job_script "$ck"
      "$WEIR" "$STATE" -f "$TMP/job.sql" > "$TMP/out.txt" 2> "$TMP/err.txt" &
    fi
    pid=$!
    if ((killed < kills)); then
      if [[ "${WEIR_RECOVERY_SLOW:-0}" == 1 ]]; then # sanitizer builds: 0.4-2.0 s
        sleep "$(awk -v r=$((400 + RANDOM % 1600)) 'BEGIN {print r / 1000}')"
      else
        sleep "$(printf '0.%03d' $((100 + RANDOM % 500)))"
      fi
      if kill -KILL "$pid" 2>/dev/null; then
        wait "$pid" 2>/dev/null || true
        killed=$((killed + 1))
      else
        wait "$pid" || { cat "$TMP/err.txt"; echo "FAIL: weir failed"; exit 1; }
        break
      fi
    else
      wait "$pid" || { cat "$TMP/err.txt"; echo "FAIL: weir failed"; exit 1; }
      break
    fi
    ms=$(restore_ms "$TMP/err.txt")
    [[ -n "$ms" ]] && restore_ms_total=$(awk -v a="$restore_ms_total" -v b="$ms" 'BEGIN {print a + b}')
  done
  cat "$TMP/err.txt"
  ms=$(restore_ms "$TMP/err.txt")
  [[ -n "$ms" ]] && restore_ms_total=$(awk -v a="$restore_ms_total" -v b="$ms" 'BEGIN {print a + b}')
  return 0
}

# run_kill_point JOB POINT: run the job with WEIR_KILL_AT=POINT, which
# must kill it (SIGKILL from inside, at a named seam), then start it again
# from its newest complete checkpoint and let it finish.
run_kill_point() {
  local job=$1 point=$2 rc=0
  job_script ""
  WEIR_KILL_AT=$point "$WEIR" "$STATE" -f "$TMP/job.sql" > "$TMP/out.txt" 2> "$TMP/err.txt" || rc=$?
  if ((rc != 137)); then
    cat "$TMP/err.txt"
    echo "FAIL: kill point $point was not reached (exit status $rc)"
    exit 1
  fi
  killed=$((killed + 1))
  [[ -n "$(latest_checkpoint "$job")" ]] && restores=$((restores + 1))
  resume_to_end "after kill point $point"
}

# resume_to_end WHAT: open the state directory, which resumes the job.
resume_to_end() {
  "$WEIR" "$STATE" -c "SHOW JOBS;" > "$TMP/out.txt" 2> "$TMP/err.txt" ||
    { cat "$TMP/err.txt"; echo "FAIL: weir failed $1"; exit 1; }
}

# compare DB WEIR_TABLE ORACLE_TABLE COLUMNS: prints "lost dup wrong", the
# rows of the oracle missing from weir's table, the extra copies of rows,
# and the rows weir has that the oracle does not (multisets).
compare() {
  local db=$1 w=$2 o=$3 cols=$4 on="" c
  for c in ${cols//,/ }; do on+="${on:+ AND }a.$c IS b.$c"; done
  sqlite3 "$db" "
    CREATE TEMP TABLE wg AS SELECT $cols, count(*) AS n FROM $w GROUP BY $cols;
    CREATE TEMP TABLE og AS SELECT $cols, count(*) AS n FROM $o GROUP BY $cols;
    CREATE INDEX temp.wg_i ON wg ($cols);
    CREATE INDEX temp.og_i ON og ($cols);
    SELECT
      (SELECT coalesce(sum(max(b.n - coalesce((SELECT a.n FROM wg a WHERE $on), 0), 0)), 0) FROM og b),
      (SELECT coalesce(sum(max(a.n - b.n, 0)), 0) FROM wg a JOIN og b ON $on),
      (SELECT coalesce(sum(a.n), 0) FROM wg a WHERE NOT EXISTS (SELECT 1 FROM og b WHERE $on));" |
    tr '|' ' '
}

# report LOST DUP WRONG ROWS: the figures; fail unless 0 / 0 / 0.
report() {
  local mean
  mean=$(awk -v t="$restore_ms_total" -v n="$restores" 'BEGIN {printf "%.1f", n ? t / n : 0}')
  echo "kills survived: $killed, restores: $restores, oracle rows: $4"
  echo "rows lost: $1, rows duplicated: $2, rows wrong: $3"
  echo "mean time from restore to first record: $mean ms"
  if [[ "$1" != 0 || "$2" != 0 || "$3" != 0 || "$4" == 0 ]]; then
    echo "FAIL"
    exit 1
  fi
  echo PASS
}
