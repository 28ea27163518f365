/* SPDX-License-Identifier: ISC */
/*
 * fuzz_uidlmap.c -- dovecot-uidlist and courierpop3dsizelist (lib/
 * uidlmap), read from a scratch Maildir of five messages (in new/ and
 * cur/, with and without ",S=" and flags).  Byte 0 picks the source
 * (even: Dovecot, odd: Courier); the rest is the file, which uidlmap.h
 * calls input that may be hostile.  Checked: a load maps at most every
 * message; every UIDL a session would then give (the file's, or
 * popkit's own where it gives none) is 1-70 characters 0x21-0x7E and no
 * two are the same, since a file that would make two equal is ignored
 * as a whole.
 */
#include <string.h>

#include "fuzz.h"
#include "maildir.h"
#include "uidlmap.h"

#define MESSAGES 5
static const char *const messages[MESSAGES] = {
    "cur/1700000001.M1P1.host,S=10:2,S", "new/1700000002.M2P1.host",
    "cur/1700000003.M3P1.host:2,S", "cur/1700000004.M4P1.host,S=5:2,",
    "new/1700000010.M10P1.host",
};
static char root[FUZZ_ROOT_MAX];
static struct maildir md;

/* At exit: the scratch Maildir goes. */
static void scratch_remove(void)
{
    static const char *const top[] = {
        "dovecot-uidlist", "courierpop3dsizelist", NULL,
    };
    maildir_close(&md);
    fuzz_maildir_remove(root, messages, MESSAGES, top);
}

static void scratch_maildir(void)
{
    fuzz_maildir_make(root, "uidlmap", messages, MESSAGES, "Subject: x\n\nbody\n");
    CHECK(maildir_open(&md, root) == 0 && maildir_scan(&md, 0) == 0);
    CHECK(md.count == MESSAGES);
    atexit(scratch_remove);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char uidls[MESSAGES][MAILDIR_UIDL_MAX + 1];
    if (size < 1 || size > 65536)
        return 0;
    if (md.count == 0)
        scratch_maildir();
    enum uidlmap_source src = data[0] & 1 ? UIDLMAP_COURIER : UIDLMAP_DOVECOT;
    fuzz_write_file(root, uidlmap_file_name(src), data + 1, size - 1);
    struct uidlmap um;
    memset(&um, 0, sizeof um);
    int rc = uidlmap_load(&um, &md, src, NULL, "fuzz: ");
    CHECK(rc == 0 || rc == -1);
    if (rc < 0)
        CHECK(um.mapped == 0 && um.slot == NULL && um.text == NULL);
    CHECK(um.mapped <= md.count);
    for (size_t i = 0; i < md.count; i++) {
        size_t n = uidlmap_uidl(&um, i, uidls[i]);
        if (n == 0)
            n = maildir_uidl(maildir_msg_name(&md, i), uidls[i]);
        CHECK(n >= 1 && n <= MAILDIR_UIDL_MAX && strlen(uidls[i]) == n);
        for (size_t k = 0; k < n; k++)
            CHECK(uidls[i][k] >= 0x21 && uidls[i][k] <= 0x7e);
        for (size_t j = 0; j < i; j++)
            CHECK(strcmp(uidls[i], uidls[j]) != 0);
    }
    uidlmap_free(&um);
    return 0;
}
