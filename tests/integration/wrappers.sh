#!/bin/sh
# SPDX-License-Identifier: ISC
# qail, qine, qlm, elq, pinq with stub readers on PATH: the mail is folded
# first, the arguments arrive intact, a failing maildir2mbox keeps the
# reader from starting, the defaults, and installation over a reader's name.
. "$top_srcdir/tests/lib.sh"

STUBS=$T_DIR/stubs
mkdir -p "$STUBS"
# A stub reader: records its name, arguments, MAIL and the mbox's size.
stub() {
    cat > "$STUBS/$1" <<STUB
#!/bin/sh
{ printf '%s' "\$(basename "\$0")"; for a in "\$@"; do printf ' [%s]' "\$a"; done
  printf ' MAIL=%s messages=%s\n' "\$MAIL" "\$(grep -c '^From ' "\$MAIL" 2>/dev/null)"
} > "$T_DIR/reader.out"
exit 7
STUB
    chmod 755 "$STUBS/$1"
}
stub mail; stub pine; stub elm
PATH=$T_BIN:$STUBS:/usr/bin:/bin
export PATH

M=$T_DIR/Maildir
make_maildir "$M"
printf 'Return-Path: <a@example.org>\nSubject: hi\n\nhello\n' > "$T_DIR/msg"
export MAILDIR="$M" MAIL="$T_DIR/Mailbox"

run() { rm -f "$T_DIR/reader.out"; deliver "$M" "$T_DIR/msg"; "$@"; echo $? > "$T_DIR/rc"; }
cnt=0
for w in qail:mail qine:pine pinq:pine qlm:elm elq:elm; do
    wrapper=${w%%:*} reader=${w#*:}
    cnt=$((cnt + 1))
    run "$wrapper" -f "two words" '*' ''
    is "$(cat "$T_DIR/rc")" 7 "$wrapper: the reader's exit status is returned"
    is "$(cat "$T_DIR/reader.out" 2>/dev/null)" \
       "$reader [-f] [two words] [*] [] MAIL=$T_DIR/Mailbox messages=$cnt" \
       "$wrapper: folds the mail first, then runs $reader with the arguments intact"
    is "$(ls -A "$M/new" "$M/cur" | grep -c '^[0-9]')" 0 "$wrapper: the Maildir is empty"
done

out=$(qail --help); st=$?
is "$st" 0 "qail --help exits 0"
like "$out" '^usage: qail' "qail --help prints a usage line"

# qine falls back to alpine where pine is missing.
rm "$STUBS/pine"; stub alpine
run qine -i
like "$(cat "$T_DIR/reader.out")" '^alpine \[-i\]' "qine runs alpine where there is no pine"

# A failing maildir2mbox: the reader must not start.
deliver "$M" "$T_DIR/msg"
rm -f "$T_DIR/reader.out"
err=$(MAILDIR=$T_DIR/nonexistent qail 2>&1); st=$?
is "$st" 100 "maildir2mbox fails: its exit status (100)"
t_ok "$([ ! -e "$T_DIR/reader.out" ]; echo $?)" "maildir2mbox fails: the reader is not started"
like "$err" 'not starting mail' "maildir2mbox fails: says so"
# ... also when it fails for a lock that stays held.
python3 -c '
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR); fcntl.lockf(fd, fcntl.LOCK_EX)
open(sys.argv[2], "w").close(); time.sleep(10)' "$MAIL" "$T_DIR/locked" &
LOCKER=$!
T_PIDS="$T_PIDS $LOCKER"
for _ in $(seq 1 100); do [ -e "$T_DIR/locked" ] && break; sleep 0.05; done
cp "$T_BIN/maildir2mbox" "$T_DIR/real-m2m"
mkdir "$T_DIR/m2m"; printf '#!/bin/sh\nexec %s -w 1\n' "$T_DIR/real-m2m" > "$T_DIR/m2m/maildir2mbox"
chmod 755 "$T_DIR/m2m/maildir2mbox"
rm -f "$T_DIR/reader.out"
PATH=$T_DIR/m2m:$PATH qail 2>/dev/null; st=$?
kill $LOCKER 2>/dev/null
is "$st" 111 "mbox locked: maildir2mbox's 111"
t_ok "$([ ! -e "$T_DIR/reader.out" ]; echo $?)" "mbox locked: the reader is not started"

# No reader on PATH: nothing is folded into an mbox nobody would open.
# (Under valgrind the programs are scripts that need valgrind on PATH,
# whose directory holds real readers.)
[ -n "${POPKIT_VALGRIND:-}" ] && NOREADER="" || NOREADER="qlm:elm qine:pine,alpine qail:mail,Mail"
[ -n "$NOREADER" ] || skip "wrappers with no reader on PATH" "under valgrind"
for w in $NOREADER; do
    wrapper=${w%%:*} readers=$(echo "${w#*:}" | sed 's/,/, /')
    deliver "$M" "$T_DIR/msg"
    before=$(cksum < "$MAIL")
    left=$(ls -A "$M/new" | wc -l)
    err=$(env PATH="$T_BIN" "$T_BIN/$wrapper" 2>&1); st=$?
    is "$st" 100 "$wrapper with no reader on PATH: exit 100"
    like "$err" "no mail reader found on PATH \\(tried $readers\\); no mail was moved" \
        "$wrapper with no reader: says which readers it looked for"
    is "$(ls -A "$M/new" | wc -l):$(cksum < "$MAIL")" "$left:$before" \
        "$wrapper with no reader: the mail stays in the Maildir, the mbox untouched"
done
rm -f "$M"/new/*

# Defaults: MAILDIR and MAIL unset.
H=$T_DIR/home; mkdir "$H"; make_maildir "$H/Maildir"
deliver "$H/Maildir" "$T_DIR/msg"
rm -f "$T_DIR/reader.out"
env -u MAILDIR -u MAIL HOME="$H" qlm
is "$(cat "$T_DIR/reader.out")" "elm MAIL=$H/Mailbox messages=1" \
    "MAILDIR, MAIL unset: \$HOME/Maildir/ into \$HOME/Mailbox, MAIL exported"
deliver "$H/Maildir" "$T_DIR/msg"
env -u MAILDIR HOME="$H" MAIL="$H/Other" qlm
is "$(cat "$T_DIR/reader.out")" "elm MAIL=$H/Other messages=1" "the MAIL login set is used"

if [ -n "${POPKIT_VALGRIND:-}" ]; then
    # These runs give the wrapper a PATH of our directories only, and
    # under valgrind the programs are scripts that need valgrind on PATH.
    for d in "linked as mail: runs the real mail behind it" \
             "linked as mail: the mail was folded" \
             "two wrapper copies as mail, reader renamed mail.real: found" \
             "wrapper copied over mail, the reader as mail.real: found"; do
        t_ok 0 "$d # SKIP under valgrind"
    done
else
# Installed over the reader's name: finds the real one, not itself.  PATH
# holds only our directories, so the system's own mail cannot answer.
TOOLS=$T_DIR/tools; mkdir "$TOOLS"
for t in sh grep basename; do ln -s "$(command -v $t)" "$TOOLS/$t"; done
L=$T_DIR/links; mkdir "$L"
ln -s "$T_BIN/qail" "$L/mail"
run env PATH="$L:$STUBS:$TOOLS:$T_BIN" mail -s x
like "$(cat "$T_DIR/reader.out")" '^mail \[-s\] \[x\]' "linked as mail: runs the real mail behind it"
is "$(ls -A "$M/new")" "" "linked as mail: the mail was folded"
# The real reader renamed NAME.real, and a copy of the wrapper as mail too:
# neither copy runs the other forever.
mv "$STUBS/mail" "$STUBS/mail.real"
cp "$T_BIN/qail" "$STUBS/mail"
run env PATH="$L:$STUBS:$TOOLS:$T_BIN" mail -v
like "$(cat "$T_DIR/reader.out")" '^mail.real \[-v\] ' "two wrapper copies as mail, reader renamed mail.real: found"
rm -f "$T_DIR/reader.out"
env PATH="$STUBS:$TOOLS:$T_BIN" "$STUBS/mail" -v
like "$(cat "$T_DIR/reader.out")" '^mail.real \[-v\] ' "wrapper copied over mail, the reader as mail.real: found"
fi

done_testing
