#!/bin/sh
# SPDX-License-Identifier: ISC
# hardening.sh -- every program `make install` installs is hardened:
# PIE, full RELRO, BIND_NOW, a stack protector and a build-id, checked
# with Debian's hardening-check (devscripts) and with readelf.
#
# What hardening-check cannot see, and what this test checks instead:
# - it finds the stack protector and the fortified functions among a
#   program's *undefined* symbols, and a static program has none: for the
#   static-pie programs the test reads .symtab, where the program's own
#   calls of __stack_chk_fail (and, with glibc, of the __*_chk functions)
#   show; musl has no _FORTIFY_SOURCE at all, which is said as a SKIP;
# - it calls a static-pie program a "shared library (ignored)" (no PHDR
#   header): the test checks that it is an ET_DYN with DF_1_PIE and no
#   PT_INTERP;
# - control-flow protection (IBT/SHSTK) is not asked for: Debian 12's
#   libc and start files carry no such note (its own /usr/bin/ls fails
#   that line), so it is switched off with --nocfprotection.
. "$top_srcdir/tests/lib.sh"

# A sanitizer build (scripts/test-sanitize) is not what anyone installs,
# and runs without FORTIFY on purpose (configure.ac says why).
case $(sed -n 's/^CFLAGS = //p' "$top_builddir/Makefile") in
    *-fsanitize*) skip_all "sanitizer build: not an installable one (no FORTIFY)" ;;
esac
if ! command -v hardening-check >/dev/null 2>&1; then
    # CI installs it (scripts/deps); a build elsewhere may lack it.
    if [ -n "${CI:-}" ]; then bail "hardening-check missing (apt-get install devscripts)"; fi
    skip_all "hardening-check is not installed (Debian: devscripts)"
fi

DEST=$T_DIR/root
make -s -C "$top_builddir" install DESTDIR="$DEST" >"$T_DIR/install.log" 2>&1
t_ok $? "make install DESTDIR=... succeeds"

is_elf() { [ "$(head -c 4 "$1" | od -An -c | tr -d ' ')" = '177ELF' ]; }

N=0
for f in $(find "$DEST" -type f | sort); do
    is_elf "$f" || continue
    N=$((N + 1))
    name=${f#"$DEST"}
    hdr=$(readelf -hlW "$f")
    dyn=$(readelf -dW "$f")
    like "$hdr" 'Type: +DYN' "$name: position-independent (ET_DYN)"
    like "$hdr" '^ +GNU_RELRO ' "$name: RELRO segment"
    like "$dyn" '\(FLAGS\).*BIND_NOW|\(FLAGS_1\).*NOW' "$name: BIND_NOW"
    like "$(readelf -nW "$f")" 'Build ID: [0-9a-f]{16,}' "$name: build-id note"
    if printf '%s\n' "$hdr" | grep -q 'Requesting program interpreter'; then
        check "$name: hardening-check" hardening-check --nocfprotection "$f"
        continue
    fi
    # Static: static-pie, and the protections read from .symtab.
    like "$dyn" '\(FLAGS_1\).*PIE' "$name: static-pie (no interpreter, DF_1_PIE)"
    check "$name: hardening-check (static: stack protector and fortify checked below)" \
        hardening-check --nocfprotection --nostackprotector --nofortify "$f"
    syms=$(readelf -sW "$f")
    # Our code calls __stack_chk_fail: the instrumented functions' epilogues.
    like "$(objdump -d --no-show-raw-insn "$f" | grep -c 'call.*<__stack_chk_fail')" \
        '^[1-9]' "$name: stack protector (calls of __stack_chk_fail)"
    if printf '%s\n' "$syms" | grep -q ' __init_libc$'; then  # musl's start-up
        skip "$name: fortified calls" "musl has no _FORTIFY_SOURCE (no __*_chk functions)"
    else
        like "$syms" ' __[a-z]+_chk$' "$name: fortified calls (glibc __*_chk)"
    fi
done
t_ok "$([ "$N" -ge 10 ]; echo $?)" "installed ELF programs checked: $N"
done_testing
