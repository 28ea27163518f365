#!/bin/sh
# SPDX-License-Identifier: ISC
# docs/DESIGN.md stays true to the tree: every file it names exists,
# every C name it gives (a word with an underscore, in backquotes) is in
# the sources or the build files, every lib module has its row in the
# module table, and every program with a man page in sections 1 and 8
# is named.  A rename that forgets the document fails here.
. "$top_srcdir/tests/lib.sh"

doc="$top_srcdir/docs/DESIGN.md"
[ -f "$doc" ] || bail "no $doc"
cd "$top_srcdir" || bail "cannot cd to $top_srcdir"

# The words inside backquotes, one a line; braces expanded (a{b,c}d).
words=$(grep -o '`[^`]*`' "$doc" | tr -d '`' |
        awk '{ while (match($0, /[^ ]*\{[^}]*\}[^ ]*/)) {
                   w = substr($0, RSTART, RLENGTH); match(w, /\{[^}]*\}/)
                   n = split(substr(w, RSTART + 1, RLENGTH - 2), alt, ",")
                   out = ""
                   for (i = 1; i <= n; i++)
                       out = out " " substr(w, 1, RSTART - 1) alt[i] substr(w, RSTART + RLENGTH)
                   sub(/[^ ]*\{[^}]*\}[^ ]*/, out)
               } print }' |
        tr ' ,()' '\n\n\n\n' | sed -e 's/[.;:]*$//' -e '/^$/d' | sort -u)

# Placeholders and other projects' files, not ours to find.
placeholder() {
    case $1 in
    *NAME*|*LAYER*|*'*'*|*'<'*) return 0 ;;
    qmail-popup.c|commands.c|pop_root.c|pop_trans.c|protocol.c) return 0 ;;
    esac
    return 1
}

# A path: as written, or in a source directory (the tables give
# greeter_root.c beside pop3d/pop3-greeter.c).
for w in $words; do
    case $w in
    lib/*|pop3d/*|checkpassword/*|maildir/*|wrappers/*|deliver/*|tests/*|man/*|docs/*|bench/*|contrib/*|scripts/*) ;;
    */*) continue ;;     # cur/, $HOME/Maildir/, [SYS/TEMP], add/del: not files
    *.c|*.h|*.mk|*.md|*.py|*.sh) ;;
    *) continue ;;
    esac
    placeholder "$w" && continue
    found=
    for d in "" lib/ pop3d/ checkpassword/ maildir/ wrappers/ deliver/; do
        [ -e "$d$w" ] && found=$d$w && break
    done
    t_ok "$([ -n "$found" ]; echo $?)" "DESIGN.md names $w: it exists"
done

# A C name or a build variable.
sources=$(ls lib/*.[ch] pop3d/*.[ch] checkpassword/*.[ch] maildir/*.c deliver/*.[ch] \
          wrappers/*.c Makefile.am ./*/local.mk configure.ac)
for w in $words; do
    case $w in
    *[!A-Za-z0-9_]*|[0-9]*) continue ;;
    *_*) ;;
    *) continue ;;
    esac
    placeholder "$w" && continue
    # shellcheck disable=SC2086  # the file list
    t_ok "$(grep -qw -- "$w" $sources; echo $?)" "DESIGN.md names $w: it is in the code"
done

# Every lib module has a row in the table of modules.
for f in lib/*.c; do
    m=${f#lib/}; m=${m%.c}
    t_ok "$(grep -q "^| .*\`${m}[.\`]" "$doc"; echo $?)" "lib/$m.c has a row in DESIGN.md's module table"
done

# Every program with a man page in section 1 or 8 is named.
for page in man/*.1 man/*.8; do
    p=${page##*/}; p=${p%.[18]}
    t_ok "$(grep -q "\`${p}[ \`]" "$doc"; echo $?)" "DESIGN.md names the program $p"
done

done_testing
