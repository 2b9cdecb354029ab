#!/usr/bin/env bash
# test.sh -- install what is missing, build, and run the whole test suite:
# first a release build, then the same suite under AddressSanitizer and
# UndefinedBehaviorSanitizer, then under ThreadSanitizer (the parallel
# runtime: tasks, channels, exchanges, cancel).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh
jobs=$(nproc)
root=$(pwd)

echo "== release build"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DWEIR_TESTS=ON >/dev/null
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure -j"$jobs")

echo "== AddressSanitizer + UndefinedBehaviorSanitizer build"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DWEIR_SANITIZE=ON -DWEIR_TESTS=ON >/dev/null
cmake --build build-asan -j"$jobs"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j"$jobs")

echo "== ThreadSanitizer build"
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DWEIR_TSAN=ON -DWEIR_TESTS=ON >/dev/null
cmake --build build-tsan -j"$jobs"
(cd build-tsan && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=$root/tests/tsan.supp \
  ctest --output-on-failure -j"$jobs")
