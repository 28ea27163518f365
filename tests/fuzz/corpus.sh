#!/bin/sh
# SPDX-License-Identifier: ISC
# Every fuzz harness (tests/fuzz/fuzz_NAME.c), built with a plain main()
# as tests/fuzz/replay_NAME, runs its whole seed corpus once: each seed
# must hold the harness's properties, and every harness must have one.
# (The fuzzing itself is `make fuzz`; this keeps the harnesses alive.)
set -u
fz=$top_srcdir/tests/fuzz
names=$(cd "$fz" && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//')
echo "1..$(echo "$names" | wc -w)"
n=0
for h in $names; do
    n=$((n + 1))
    bin=$top_builddir/tests/fuzz/replay_$h
    if [ ! -x "$bin" ]; then
        echo "not ok $n - $h: no $bin (missing from tests/fuzz/local.mk?)"
    elif [ -z "$(ls "$fz/corpus/$h" 2>/dev/null)" ]; then
        echo "not ok $n - $h: no seed corpus in tests/fuzz/corpus/$h"
    elif out=$("$bin" "$fz/corpus/$h" 2>&1); then
        echo "ok $n - $h: $(echo "$out" | tail -n 1)"   # what it logged: its seeds' business
    else
        echo "not ok $n - $h: the seed corpus fails"
        echo "$out" | sed 's/^/# /'
    fi
done
