# SPDX-License-Identifier: ISC
# greeter_fakes.sh -- sourced by the greeter's shell tests after lib.sh:
# the greeter under test ($G), the chat client ($CHAT), the fake stages
# ($T_DIR/stage2 records what it read on fd 3 in $FAKE_LOG and accepts the
# password "secret"; $T_DIR/stage3 answers a few commands), and an empty
# directory for --privsep-dir ($T_DIR/empty).
CHAT="python3 $top_srcdir/tests/integration/greeter_chat.py"
G=$T_BIN/pop3-greeter
[ -x "$G" ] || bail "pop3-greeter not built"
cp "$top_srcdir/tests/integration/greeter_fake2.sh" "$T_DIR/stage2"
cp "$top_srcdir/tests/integration/greeter_fake3.sh" "$T_DIR/stage3"
chmod 755 "$T_DIR/stage2" "$T_DIR/stage3"
FAKE_LOG=$T_DIR/stage2.log
export FAKE_LOG
: >"$FAKE_LOG"
chmod 666 "$FAKE_LOG"   # stage 2 may run as the unprivileged user
mkdir -m 755 "$T_DIR/empty"
