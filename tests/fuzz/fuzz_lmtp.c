/* SPDX-License-Identifier: ISC */
/*
 * fuzz_lmtp.c -- popkit-lmtpd's parser (deliver/lmtp_cmds.c
 * lmtp_session): the commands and DATA a client sends, read from
 * memory, with the root part faked.  Byte 0 picks the limits (size_max,
 * rcpt_max); byte 1 the number of answers the fake root part has queued
 * (0..16), the next bytes those answers (any byte: a status the table
 * does not know is the parser's to handle); the rest is the client's
 * stream.  The parser's end of the request socket does not block, so
 * once the answers run out the root part is "gone".  Checked, from
 * lmtp.h: every request is well formed ('R' one address; 'D' a sender
 * and 1..rcpt_max recipients, each one the root part accepted, with the
 * spool: no NUL, LF lines, within size_max); one answer is taken per
 * recipient asked about and per recipient delivered to, no more; the
 * session ends 111 exactly when it needed an answer that was not there;
 * every reply is a CRLF line "DDD text" or "DDD-text", 2xx-5xx.
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <string.h>

#include "deliver.h"
#include "fdpass.h"
#include "fuzz.h"
#include "lmtp.h"

#define ANSWERS_MAX 16
#define OUT_MAX (1 << 20)

struct seen {
    char ok[ANSWERS_MAX + 1][LMTP_PATH_MAX + 1];  /* accepted recipients */
    size_t nok;
    size_t answers;           /* answers the requests took */
};

static int in = -1, out = -1;    /* the client's stream, the replies */
static char outbuf[OUT_MAX];
static struct seen sn;

static void check_spool(int fd, const struct lmtp_conf *conf)
{
    static char buf[65536 + 1];
    CHECK(fd >= 0);
    ssize_t n = pread(fd, buf, sizeof buf, 0);
    CHECK(n >= 0 && (uint64_t)n <= conf->size_max);
    CHECK(memchr(buf, '\0', (size_t)n) == NULL);
    CHECK(n == 0 || buf[n - 1] == '\n');
    close(fd);
}

/* One request the parser sent: its shape, and the answers it takes. */
static void check_request(const char *r, size_t len, int fd, const uint8_t *ans,
                          size_t nans, const struct lmtp_conf *conf, struct seen *acc)
{
    CHECK(len >= 2 && r[len - 1] == '\0');
    if (r[0] == LMTP_REQ_RCPT) {
        CHECK(fd < 0 && strlen(r + 1) == len - 2);
        CHECK(len - 2 >= 1 && len - 2 <= LMTP_PATH_MAX);
        if (acc->answers < nans && ans[acc->answers] == DELIVER_OK)
            memcpy(acc->ok[acc->nok++], r + 1, len - 1);
        acc->answers++;
        return;
    }
    CHECK(r[0] == LMTP_REQ_DATA);
    check_spool(fd, conf);
    size_t off = 1 + strlen(r + 1) + 1, rcpts = 0;
    for (; off < len; off += strlen(r + off) + 1, rcpts++) {
        int known = 0;
        for (size_t i = 0; i < acc->nok && !known; i++)
            known = strcmp(acc->ok[i], r + off) == 0;
        CHECK(known);
    }
    CHECK(off == len && rcpts >= 1 && rcpts <= conf->rcpt_max);
    acc->answers += rcpts;
}

/* The replies: CRLF lines, each a code 2xx-5xx and ' ' or '-'. */
static void check_replies(const char *o, size_t n)
{
    for (size_t i = 0; i < n;) {
        const char *lf = memchr(o + i, '\n', n - i);
        CHECK(lf);
        size_t len = (size_t)(lf - (o + i)) + 1;
        CHECK(len >= 6 && o[i + len - 2] == '\r');
        CHECK(o[i] >= '2' && o[i] <= '5' && o[i + 1] >= '0' && o[i + 1] <= '9');
        CHECK(o[i + 2] >= '0' && o[i + 2] <= '9' && (o[i + 3] == ' ' || o[i + 3] == '-'));
        CHECK(!memchr(o + i, '\r', len - 2) && !memchr(o + i, '\0', len));
        i += len;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint64_t sizes[] = { 0, 64, 1000, 65536 };
    if (size < 2 || size > 65536)
        return 0;
    struct lmtp_conf conf = {
        .hostname = "lmtp.fuzz", .size_max = sizes[data[0] & 3],
        .rcpt_max = 1 + (data[0] >> 2) % 4, .timeout = 5,
    };
    size_t nans = data[1] % (ANSWERS_MAX + 1);
    if (size < 2 + nans)
        return 0;
    const uint8_t *ans = data + 2;
    if (in < 0) {
        in = memfd_create("fuzz-lmtp-in", 0);
        out = memfd_create("fuzz-lmtp-out", 0);
        CHECK(in >= 0 && out >= 0);
    }
    fuzz_memfd_fill(in, data + 2 + nans, size - 2 - nans);
    CHECK(lseek(out, 0, SEEK_SET) == 0);   /* the replies' end: its offset */
    int sp[2];
    CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sp) == 0);
    for (size_t i = 0; i < nans; i++)
        CHECK(send(sp[1], &ans[i], 1, 0) == 1);
    int rc = lmtp_session(&conf, in, out, sp[0]);
    CHECK(rc == 0 || rc == 111);
    memset(&sn, 0, sizeof sn);
    static char req[LMTP_REQ_SIZE(4)];
    ssize_t n;
    int fd;
    while ((n = fdpass_recv(sp[1], req, sizeof req, &fd)) > 0)
        check_request(req, (size_t)n, fd, ans, nans, &conf, &sn);
    CHECK(n < 0 && errno == EAGAIN);
    size_t left = 0;
    uint8_t a;
    while (recv(sp[0], &a, 1, 0) == 1)
        left++;
    close(sp[0]);
    close(sp[1]);
    CHECK(rc == 111 ? sn.answers > nans : sn.answers + left == nans);
    off_t end = lseek(out, 0, SEEK_CUR);
    CHECK(end >= 0 && end < OUT_MAX);
    ssize_t len = pread(out, outbuf, (size_t)end, 0);
    CHECK(len == end);
    check_replies(outbuf, (size_t)len);
    return 0;
}
