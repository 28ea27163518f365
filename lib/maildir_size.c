/* SPDX-License-Identifier: ISC */
/*
 * maildir_size.c -- the wire sizes a scan learns after its sort
 * (maildir_size.h): the size cache first, then the files, in two
 * processes when there are many.
 */
#include "maildir_size.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "maildir_array.h"
#include "maildir_cache.h"
#include "msgfmt.h"

/* ---- Sizes: the size cache, then the files, in two processes ---- */

/* Does m need its size read by a scan with these flags?  Only a scan
 * for sizes reads: the move to cur/ no longer puts the size in the name. */
static int need_size(const struct maildir_msg *m, unsigned flags)
{
    return m->wire_size == MAILDIR_SIZE_UNKNOWN && (flags & MAILDIR_SCAN_SIZES);
}


/* Read a message file to its end and count its wire size.  No fstat:
 * a delivered Maildir file never changes, and read(2) of a regular file
 * returns less than asked only at its end, so a short read ends it (the
 * size is exact; see maildir.h).  readdir said the entry was a regular
 * file; only a read that fills the whole buffer or finds nothing is
 * checked with fstat, so a FIFO or device swapped in meanwhile (which
 * might never end) is refused, never read on.  0 or -1 (skip it). */
static int size_at(int dirfd, const char *name, char *buf, uint64_t *wire)
{
    int fd = maildir_open_msg_at(dirfd, name);
    if (fd < 0)
        return -1;
    struct msgsize s;
    msgsize_init(&s);
    int checked = 0, r = 0;
    for (;;) {
        ssize_t n = read(fd, buf, MAILDIR_READ_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            r = -1;
            break;
        }
        if (!checked && (n == 0 || n == MAILDIR_READ_CHUNK)) {
            struct stat st;
            if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                errno = EINVAL;
                r = -1;
                break;
            }
            checked = 1;
        }
        msgsize_add(&s, buf, (size_t)n);
        if (n < MAILDIR_READ_CHUNK)
            break;
    }
    int e = errno;
    close(fd);
    errno = e;
    *wire = msgsize_end(&s);
    return r;
}

/* What a sizing helper writes after its last size: it got to the end. */
#define SIZES_DONE 0x706f706b69742121ULL

/* Read the files idx[0..n) lists into wire[0..n) (UNKNOWN when one
 * vanished or is not a file).  name: NAME_MAX + 1 bytes. */
static unsigned size_list(const struct maildir *md, const uint32_t *idx,
                          size_t n, uint64_t *wire, char *buf, char *name)
{
    unsigned reads = 0;
    for (size_t k = 0; k < n; k++) {
        const struct maildir_msg *m = &md->msg[idx[k]];
        int dirfd = (m->flags & MAILDIR_F_NEW) ? md->newfd : md->curfd;
        uint64_t w;
        wire[k] = MAILDIR_SIZE_UNKNOWN;
        if (size_at(dirfd, maildir_build_name(md, m, name), buf, &w) < 0)
            continue;   /* vanished or not a file: left unknown, dropped */
        wire[k] = w >= MAILDIR_SIZE_UNKNOWN ? MAILDIR_SIZE_UNKNOWN - 1 : w;
        reads++;
    }
    return reads;
}

/* Read the files idx[0..n) lists and set their sizes.  With many, a
 * forked helper reads half of them (the open/read/close is kernel work
 * two cores share; a process, not a thread: it shares nothing it could
 * race on, and costs the binary 4 KB of code where threads cost 80 KB
 * of every session's memory).  It hands the sizes back in a shared map;
 * if it fails, this process reads its half too.  -1 when out of memory. */
static int size_files(struct maildir *md, const uint32_t *idx, size_t n,
                      char *buf)
{
    uint64_t *wire = malloc(n * sizeof *wire);
    if (!wire)
        return -1;
    size_t half = n >= MAILDIR_SIZE_FORK_MIN ? n / 2 : n;
    size_t maplen = (n - half + 1) * sizeof *wire;
    uint64_t *theirs = half < n ? maildir_shared_map(maplen) : NULL;
    pid_t pid = theirs ? fork() : -1;
    if (pid == 0) {
        /* The helper reads with this process's buffer (its own copy),
         * and frees what only the callers' frames hold before it ends
         * (valgrind follows forks). */
        size_list(md, idx + half, n - half, theirs, buf, md->namebuf[1]);
        theirs[n - half] = SIZES_DONE;
        free(wire);
        free(buf);
        free((void *)idx);
        _exit(0);
    }
    md->size_reads += size_list(md, idx, pid > 0 ? half : n, wire, buf,
                                md->namebuf[0]);
    if (pid > 0) {
        maildir_helper_wait(pid);
        if (theirs[n - half] == SIZES_DONE) {
            memcpy(wire + half, theirs, (n - half) * sizeof *wire);
            for (size_t k = half; k < n; k++)
                md->size_reads += wire[k] != MAILDIR_SIZE_UNKNOWN;
        } else {
            md->size_reads += size_list(md, idx + half, n - half, wire + half,
                                        buf, md->namebuf[0]);
        }
    }
    if (theirs)
        munmap(theirs, maplen);
    for (size_t k = 0; k < n; k++)
        md->msg[idx[k]].wire_size = wire[k];
    free(wire);
    return 0;
}

/* Sizes for every message the scan keeps (maildir_size.h). */
/* How many entries need their size read. */
static size_t count_unsized(const struct maildir *md, unsigned flags)
{
    size_t n = 0;
    for (size_t i = 0; i < md->count; i++)
        if (need_size(&md->msg[i], flags))
            n++;
    return n;
}

/* Drop the entries still without a size (vanished, or not files),
 * keeping the others in order. */
static void drop_unsized(struct maildir *md, unsigned flags)
{
    size_t o = 0;
    for (size_t i = 0; i < md->count; i++)
        if (!need_size(&md->msg[i], flags))
            md->msg[o++] = md->msg[i];
    md->count = o;
}

int maildir_fill_sizes(struct maildir *md, unsigned flags, int *want_cache)
{
    size_t n = count_unsized(md, flags);
    if (n == 0)
        return 0;
    char *buf = malloc(MAILDIR_READ_CHUNK);
    if (!buf)
        return -1;
    long unused = (flags & MAILDIR_SCAN_SIZES) ? maildir_sizes_apply(md, buf)
                                               : 0;
    uint32_t *idx = malloc(n * sizeof *idx);
    if (!idx) {
        free(buf);
        return -1;
    }
    n = 0;
    for (size_t i = 0; i < md->count; i++)
        if (need_size(&md->msg[i], flags))
            idx[n++] = (uint32_t)i;
    if (size_files(md, idx, n, buf) < 0) {
        free(idx);
        free(buf);
        return -1;
    }
    /* Every size read is worth a new size cache: the move to cur/
     * keeps the base the cache is keyed by, so a message read in new/
     * needs no read in cur/ either. */
    unsigned cacheable = 0;
    for (size_t k = 0; k < n; k++)
        if (md->msg[idx[k]].wire_size != MAILDIR_SIZE_UNKNOWN)
            cacheable++;
    free(idx);
    drop_unsized(md, flags);
    *want_cache = md->lockfd >= 0 && (flags & MAILDIR_SCAN_SIZES) &&
                  (unused > 0 || cacheable != 0);
    free(buf);
    return 0;
}
