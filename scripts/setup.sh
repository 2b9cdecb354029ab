#!/usr/bin/env bash
# setup.sh -- install the Debian packages weir needs to build and test,
# skipping those already present.  Runs apt-get as root or through sudo.
set -euo pipefail

packages=(
  build-essential cmake pkg-config   # compiler and build
  re2c lemon                         # lexer and parser generators
  libsqlite3-dev sqlite3             # SQLite sink, and the sqlite3 oracle of the tests
  libxxhash-dev                      # hashing
  librocksdb-dev                     # the rocksdb state backend
  libpcre2-dev                       # REGEXP_EXTRACT
  libedit-dev                        # line editing in the shell
  libcmocka-dev                      # unit tests
)

missing=()
for p in "${packages[@]}"; do
  [[ "$p" == \#* ]] && continue
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  if [[ $(id -u) -eq 0 ]]; then sudo=(); else sudo=(sudo); fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all packages present"
fi
