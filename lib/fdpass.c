/* SPDX-License-Identifier: ISC */
/*
 * fdpass.c -- a datagram and at most one descriptor (fdpass.h).
 */
#include "fdpass.h"
#include "params.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Room for the one descriptor we take, and for a few more a hostile
 * peer may send, so that they arrive (and are closed) instead of being
 * cut off unseen. */
#define FDPASS_CONTROL_FDS 8

int fdpass_send(int sock, const void *buf, size_t len, int fd)
{
    struct iovec iov = { (void *)buf, len };
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } cm;
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
    if (fd >= 0) {
        memset(&cm, 0, sizeof cm);
        mh.msg_control = cm.buf;
        mh.msg_controllen = sizeof cm.buf;
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof fd);
    }
    ssize_t w;
    long waited = 0;
    while ((w = sendmsg(sock, &mh, MSG_NOSIGNAL)) < 0 &&
           (errno == EINTR || (errno == ETOOMANYREFS &&
                               waited < FDPASS_INFLIGHT_WAIT_MS))) {
        if (errno == ETOOMANYREFS) {
            struct timespec step = { 0, FDPASS_INFLIGHT_STEP_MS * 1000000L };
            nanosleep(&step, NULL);
            waited += FDPASS_INFLIGHT_STEP_MS;
        }
    }
    if (w >= 0 && (size_t)w != len)
        errno = EMSGSIZE;
    return w >= 0 && (size_t)w == len ? 0 : -1;
}

/* Close every descriptor in c's SCM_RIGHTS data. */
static void close_passed(const struct cmsghdr *c)
{
    size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < n; i++) {
        int fd;
        memcpy(&fd, CMSG_DATA(c) + i * sizeof fd, sizeof fd);
        close(fd);
    }
}

ssize_t fdpass_recv(int sock, void *buf, size_t size, int *fd)
{
    struct iovec iov = { buf, size };
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(FDPASS_CONTROL_FDS * sizeof(int))];
    } cm;
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
                         .msg_control = cm.buf,
                         .msg_controllen = sizeof cm.buf };
    *fd = -1;
    ssize_t n;
    while ((n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
        ;
    if (n < 0)
        return -1;
    int bad = (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        int one = c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
                  c->cmsg_len == CMSG_LEN(sizeof(int));
        if (one && *fd < 0 && !bad) {
            memcpy(fd, CMSG_DATA(c), sizeof *fd);
            continue;
        }
        bad = 1;
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
            close_passed(c);
    }
    if (bad) {
        if (*fd >= 0)
            close(*fd);
        *fd = -1;
        errno = EBADMSG;
        return -1;
    }
    return n;
}
