/* SPDX-License-Identifier: ISC */
/*
 * fuzz_listing.c -- the listing cache MAILDIR_LISTING_NAME (lib/
 * maildir_cache.c maildir_listing_load), which anyone who can write the
 * Maildir can forge.  It is binary and used only when its key (device,
 * inode, mtime and ctime of cur/ and new/) is that of the directories,
 * so the harness writes a genuine key for its scratch Maildir and the
 * fuzzed body is really parsed: byte 0 gives the entry count (at most
 * what the input holds), then the entries, then the name arena; the
 * header's sizes agree with the file.  The Maildir is then scanned as a
 * session does (MAILDIR_SCAN_SIZES, unlocked: nothing is written).
 * Checked, from maildir.h: a listing taken gives every message a name
 * a Maildir can hold (not empty, not hidden, no '/', at most NAME_MAX)
 * and a valid UIDL, in session order without duplicates, and sizes
 * bounded as for the size cache; a listing refused leaves the scan of
 * the directories themselves.
 */
#include <limits.h>
#include <string.h>

#include "fuzz.h"
#include "maildir.h"
#include "maildir_array.h"
#include "maildir_cache.h"

#define MESSAGES 4
#define BODY "Subject: x\n\nbody\n"
/* Each name gives its size, so a refused listing costs a readdir and
 * no read of the messages (the size cache's harness covers those). */
static const char *const messages[MESSAGES] = {
    "cur/1700000001.M1P1.host,S=17,W=20:2,S", "cur/1700000002.M2P1.host,S=17,W=20:2,",
    "new/1700000003.M3P1.host,S=17,W=20", "cur/1700000004.M4P1.host,W=20",
};
static char root[FUZZ_ROOT_MAX];
static struct maildir md;

/* The file's header as maildir_cache.c writes it (its struct
 * listing_head); set-up checks it against a listing the lib wrote, so a
 * change of format stops the harness instead of fuzzing headers the
 * loader refuses at once. */
struct listing_head {
    char magic[16];
    uint32_t entry_size, pad;
    uint64_t count, arena_len;
    struct dir_key cur, new;
};
static struct listing_head head;

static void scratch_remove(void)
{
    static const char *const top[] = { MAILDIR_LISTING_NAME, NULL };
    maildir_close(&md);
    fuzz_maildir_remove(root, messages, MESSAGES, top);
}

/* The genuine key, and a genuine listing to check the header against. */
static void scratch_maildir(void)
{
    struct stat cs, ns;
    fuzz_maildir_make(root, "listing", messages, MESSAGES, BODY);
    atexit(scratch_remove);
    CHECK(maildir_open(&md, root) == 0 && maildir_scan(&md, MAILDIR_SCAN_SIZES) == 0);
    CHECK(md.count == MESSAGES && !md.from_listing);
    CHECK(maildir_dir_stat(md.curfd, &cs) == 0 && maildir_dir_stat(md.newfd, &ns) == 0);
    memcpy(head.magic, "popkit-listing2", 16);
    head.entry_size = sizeof(struct maildir_msg);
    head.count = md.count;
    head.arena_len = md.arena_len;
    maildir_dir_key(&head.cur, &cs, (int)md.shared);   /* as maildir_scan keys it */
    maildir_dir_key(&head.new, &ns, (int)md.shared);
    maildir_listing_write(&md, &head.cur, &head.new);
    char p[FUZZ_ROOT_MAX + 32];
    snprintf(p, sizeof p, "%s/%s", root, MAILDIR_LISTING_NAME);
    struct listing_head written;
    FILE *f = fopen(p, "rb");
    CHECK(f && fread(&written, sizeof written, 1, f) == 1);
    fclose(f);
    CHECK(memcmp(&written, &head, sizeof head) == 0);
    CHECK(maildir_scan(&md, MAILDIR_SCAN_SIZES) == 0 && md.from_listing);
}

static void check_taken(size_t count)
{
    char prev[NAME_MAX + 1] = "";
    CHECK(md.count == count);
    for (size_t i = 0; i < md.count; i++) {
        const struct maildir_msg *m = &md.msg[i];
        const char *name = maildir_msg_name(&md, i);   /* md's buffer */
        size_t len = strlen(name);
        CHECK(len >= 1 && len <= NAME_MAX && name[0] != '.' && !strchr(name, '/'));
        char uidl[MAILDIR_UIDL_MAX + 1];
        size_t n = maildir_uidl(name, uidl);
        CHECK(n >= 1 && n <= MAILDIR_UIDL_MAX);
        CHECK(m->wire_size != MAILDIR_SIZE_UNKNOWN);
        CHECK(m->wire_size <= MAILDIR_CACHE_TRUST_MAX ||
              (m->wire_size >= sizeof BODY - 1 && m->wire_size <= 2 * (sizeof BODY - 1) + 2));
        if (i > 0) {
            const struct maildir_msg *p = &md.msg[i - 1];
            uint64_t kp = (uint64_t)p->time << 20 | p->usec, km = (uint64_t)m->time << 20 | m->usec;
            CHECK(kp <= km);
            CHECK(kp < km || strcmp(prev, name) != 0);
        }
        memcpy(prev, name, len + 1);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t file[sizeof head + 65536];
    static int ready;
    if (size < 1 || size - 1 > sizeof file - sizeof head)
        return 0;
    if (!ready++)
        scratch_maildir();
    size_t body = size - 1, count = data[0];
    if (count * sizeof(struct maildir_msg) > body)
        count = body / sizeof(struct maildir_msg);
    struct listing_head h = head;
    h.count = count;
    h.arena_len = body - count * sizeof(struct maildir_msg);
    memcpy(file, &h, sizeof h);
    memcpy(file + sizeof h, data + 1, body);
    fuzz_write_file(root, MAILDIR_LISTING_NAME, file, sizeof h + body);
    CHECK(maildir_scan(&md, MAILDIR_SCAN_SIZES) == 0);
    if (md.from_listing) {
        check_taken(count);
    } else {
        CHECK(md.count == MESSAGES);
        for (size_t i = 0; i < MESSAGES; i++)
            CHECK(strcmp(maildir_msg_name(&md, i), strchr(messages[i], '/') + 1) == 0);
    }
    return 0;
}
