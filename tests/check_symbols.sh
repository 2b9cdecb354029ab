#!/usr/bin/env bash
# check_symbols.sh STATIC_LIB SHARED_LIB -- every global symbol the library
# defines starts with weir_ (public) or weir__ (internal), and the shared
# library exports only the public weir_ API.
set -euo pipefail
static=$1 shared=$2
bad=$(nm -g --defined-only "$static" | awk 'NF==3 {print $3}' | grep -v '^weir_' | grep -v '^__odr_asan\.' | grep -v '^__\(a\|t\|ub\)san' || true)
if [[ -n "$bad" ]]; then
  echo "symbols without the weir_ prefix in $static:"; echo "$bad"; exit 1
fi
exported=$(nm -D --defined-only "$shared" | awk 'NF==3 {print $3}')
leaked=$(echo "$exported" | grep -v '^weir_[a-z]' | grep -v '^_init$\|^_fini$' | grep -v '^__odr_asan\.\|^__\(a\|t\|ub\)san' || true)
internal=$(echo "$exported" | grep '^weir__' || true)
if [[ -n "$leaked$internal" ]]; then
  echo "the shared library exports more than the public API:"; echo "$leaked"; echo "$internal"; exit 1
fi
echo "ok: $(echo "$exported" | grep -c '^weir_') public symbols exported, no others"
