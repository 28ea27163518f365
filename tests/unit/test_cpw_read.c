/* SPDX-License-Identifier: ISC */
/* test_cpw_read.c -- stage 2 reading and splitting the fd-3 payload. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpw.h"
#include "tap.h"

/* Put payload (n bytes) on a pipe at fd 3 and read it. */
static int feed(const void *payload, size_t n, struct cpw_creds *c)
{
    int p[2];
    if (pipe(p))
        return -1;
    if (write(p[1], payload, n) != (ssize_t)n)
        return -1;
    close(p[1]);
    if (p[0] != CPW_FD) {
        dup2(p[0], CPW_FD);
        close(p[0]);
    }
    return cpw_read(c);
}

#define FEED(lit, c) feed(lit, sizeof(lit) - 1, c)

int main(void)
{
    struct cpw_creds c;
    char big[CPW_MAX + 100];

    is_int(FEED("bob@x.org\0pw\0<1.2@h>\0", &c), 0, "three fields read");
    is_str(c.login, "bob@x.org", "login");
    is_str(c.password, "pw", "password");
    is_str(c.timestamp, "<1.2@h>", "timestamp");
    cpw_wipe(&c);
    ok(c.login == NULL && c.password == NULL, "wipe clears the pointers");
    ok(memchr(c.buf, 'b', sizeof c.buf) == NULL, "wipe clears the buffer");

    is_int(FEED("bob\0pw\0", &c), 0, "no timestamp: accepted");
    is_str(c.timestamp, "", "absent timestamp is empty");
    is_int(FEED("bob\0pw\0\0", &c), 0, "empty timestamp");
    is_str(c.timestamp, "", "empty timestamp is empty");
    is_int(FEED("\0\0\0", &c), 0, "empty fields parse (stage 2 rejects them)");
    is_str(c.login, "", "empty login");

    is_int(FEED("bob", &c), CPW_MISUSE, "no NUL at all: misuse");
    is_int(FEED("bob\0pw", &c), CPW_MISUSE, "password without NUL: misuse");
    is_int(FEED("bob\0pw\0ts", &c), CPW_MISUSE, "timestamp without NUL: misuse");
    is_int(feed("", 0, &c), CPW_MISUSE, "empty payload: misuse");

    memset(big, 'a', sizeof big);
    big[10] = '\0';
    big[20] = '\0';
    big[CPW_MAX - 1] = '\0';
    is_int(feed(big, CPW_MAX, &c), 0, "exactly CPW_MAX bytes: accepted");
    is_int((long long)strlen(c.timestamp), CPW_MAX - 22, "long timestamp kept");
    big[CPW_MAX] = '\0';
    is_int(feed(big, CPW_MAX + 1, &c), CPW_MISUSE, "CPW_MAX+1 bytes: misuse");
    ok(c.login == NULL, "nothing returned for an overlong payload");
    is_int(feed(big, sizeof big, &c), CPW_MISUSE, "512+ bytes: misuse");

    close(CPW_FD);
    is_int(cpw_read(&c), CPW_MISUSE, "no fd 3 at all: misuse");
    return tap_done();
}
