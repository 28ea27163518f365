#!/bin/sh
# SPDX-License-Identifier: ISC
# Every man page is clean under mandoc -Tlint (Debian's mandoc; the
# package's lintian runs the same checks), and all carry one manual
# title and a real date in one format in .TH.  Messages of level
# WARNING and above fail; STYLE ones (a NAME line longer than 80
# bytes) are shown but do not.
. "$top_srcdir/tests/lib.sh"

command -v mandoc >/dev/null || skip_all "mandoc is not installed (Debian: mandoc)"
for page in "$top_srcdir"/man/*.[0-9]; do
    p=${page##*/}
    msgs=$(cd "$top_srcdir/man" && mandoc -Tlint -W warning "$p" 2>&1)
    is "$msgs" "" "$p: mandoc -Tlint reports no warning or error"
    th=$(sed -n '/^\.TH /{p;q;}' "$page")
    like "$th" '^\.TH [A-Z0-9.-]+ [1-8] "20[0-9][0-9]-[01][0-9]-[0-3][0-9]" "popkit" "popkit Manual"$' \
        "$p: .TH has a YYYY-MM-DD date and the title 'popkit Manual'"
done
# Shown, not counted: the style notes.
(cd "$top_srcdir/man" && mandoc -Tlint -W style ./*.[0-9] 2>&1) | sed 's/^/# /'

done_testing
