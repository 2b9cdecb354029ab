# lib.bash -- what the benchmark scripts share, sourced from the repository
# root: bench_setup builds weir's release binary in build-bench/ and makes
# a temporary directory $tmp, removed when the script exits; with the
# argument "time" it first checks that GNU time (/usr/bin/time) is there.
bench_setup() {
  if [[ ${1:-} == time && ! -x /usr/bin/time ]]; then
    echo "GNU time is needed: scripts/bench-setup.sh" >&2
    exit 2
  fi
  cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DWEIR_TESTS=OFF >/dev/null
  cmake --build build-bench -j"$(nproc)" --target weir >/dev/null
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
}
