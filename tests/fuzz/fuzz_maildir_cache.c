/* SPDX-License-Identifier: ISC */
/*
 * fuzz_maildir_cache.c -- the size cache MAILDIR_CACHE_NAME (lib/
 * maildir_cache.c), which anyone who can write the Maildir can forge:
 * the input is the file, read by an unlocked MAILDIR_SCAN_SIZES scan of
 * a scratch Maildir of five messages (some with ",S=" and ",W=" in
 * their names, some without), which leaves the directories as they are.
 * Checked: every message gets a size; a name's W is kept; and what the
 * cache may claim is bounded as maildir.h says -- at most
 * MAILDIR_CACHE_TRUST_MAX, or else between the file's size and twice it
 * and a final CRLF -- so a forged cache cannot announce 10^12 octets
 * for 20 bytes.
 */
#include <string.h>

#include "fuzz.h"
#include "maildir.h"

#define MESSAGES 5
#define BODY "Subject: x\n\nbody\n"
static const char *const messages[MESSAGES] = {
    "cur/1700000001.M1P1.host,S=17,W=20:2,S", "new/1700000002.M2P1.host",
    "cur/1700000003.M3P1.host:2,S", "cur/1700000004.M4P1.host,S=17:2,",
    "new/1700000010.M10P1.host",
};
static char root[FUZZ_ROOT_MAX];
static struct maildir md;

/* At exit: the scratch Maildir goes. */
static void scratch_remove(void)
{
    static const char *const top[] = { MAILDIR_CACHE_NAME, NULL };
    maildir_close(&md);
    fuzz_maildir_remove(root, messages, MESSAGES, top);
}

/* The Maildir is opened once and scanned anew for each input, as a
 * session rescans it (maildir_scan starts from nothing but keeps its
 * mappings). */
static void scratch_maildir(void)
{
    fuzz_maildir_make(root, "maildir_cache", messages, MESSAGES, BODY);
    CHECK(maildir_open(&md, root) == 0);
    atexit(scratch_remove);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (size > 65536)
        return 0;
    if (!ready++)
        scratch_maildir();
    fuzz_write_file(root, MAILDIR_CACHE_NAME, data, size);
    CHECK(maildir_scan(&md, MAILDIR_SCAN_SIZES) == 0);
    CHECK(md.count == MESSAGES);
    const uint64_t file = sizeof BODY - 1;
    for (size_t i = 0; i < md.count; i++) {
        const char *name = maildir_msg_name(&md, i);
        uint64_t w = md.msg[i].wire_size, named = maildir_name_wire_size(name);
        CHECK(w != MAILDIR_SIZE_UNKNOWN);
        if (named != MAILDIR_SIZE_UNKNOWN)
            CHECK(w == named);
        CHECK(w <= MAILDIR_CACHE_TRUST_MAX || (w >= file && w <= 2 * file + 2));
    }
    return 0;
}
