/* SPDX-License-Identifier: ISC */
/* test_caps.c -- lib/caps.c: the capability sets emptied and read back.
 * What the kernel holds is seen only by a process that really holds
 * capabilities (root, not uid_wrapper's fake root): those checks run
 * there, each in a child, and are skipped, saying so, anywhere else. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "caps.h"
#include "tap.h"

/* capget(2)'s version 3, as caps.c declares it (the test must not
 * trust the module it checks for the layout). */
struct hdr {
    unsigned version;
    int pid;
};
struct data {
    unsigned eff, prm, inh;
};

static int get(struct data d[2])
{
    struct hdr h = { 0x20080522u, 0 };
    return (int)syscall(SYS_capget, &h, d);
}

/* The field NAME of /proc/self/status, as text, into buf. */
static const char *status_field(const char *name, char *buf, size_t n)
{
    char line[256];
    size_t len = strlen(name);
    FILE *f = fopen("/proc/self/status", "r");
    buf[0] = '\0';
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, name, len) == 0 && line[len] == ':') {
            snprintf(buf, n, "%s", line + len + 1 + strspn(line + len + 1, " \t"));
            buf[strcspn(buf, "\n")] = '\0';
        }
    if (f)
        fclose(f);
    return buf;
}

static int really_holds_caps(void)
{
    struct data d[2] = { { 0, 0, 0 }, { 0, 0, 0 } };
    return get(d) == 0 && (d[0].prm | d[1].prm) != 0;
}

/* The exit status of fn run in a child. */
static int in_child(int (*fn)(void))
{
    int status;
    pid_t pid = fork();
    if (pid == 0)
        _exit(fn());
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 99;
}

/* Root: empty the bounding set, clear the rest, and let /proc say so. */
static int drop_all(void)
{
    const char *why;
    static const char *const fields[] = { "CapInh", "CapPrm", "CapEff",
                                          "CapBnd", "CapAmb" };
    char buf[64];
    if (caps_empty_bounding(&why) != 1)
        return 1;
    if (prctl(PR_CAPBSET_READ, 0, 0, 0, 0) != 0)   /* CAP_CHOWN */
        return 2;
    if (caps_clear(&why) || caps_check(1, &why))
        return 3;
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
        if (strcmp(status_field(fields[i], buf, sizeof buf),
                   "0000000000000000") != 0)
            return 4;
    return 0;
}

/* Root with its capabilities: the check must see them. */
static int check_sees_caps(void)
{
    const char *why;
    if (caps_check(0, &why) != -1 || errno != EPERM
        || strcmp(why, "capabilities kept after the drop") != 0)
        return 1;
    /* Emptied but for the bounding set: that one still shows. */
    if (caps_clear(&why) || caps_check(0, &why))
        return 2;
    return caps_check(1, &why) == -1
           && strcmp(why, "capability bounding set kept after the drop") == 0
           ? 0 : 3;
}

/* Root whose effective set lacks CAP_SETPCAP: refused, not half done. */
static int no_setpcap(void)
{
    struct data d[2] = { { 0, 0, 0 }, { 0, 0, 0 } };
    struct hdr h = { 0x20080522u, 0 };
    const char *why;
    if (get(d) < 0)
        return 1;
    d[0].eff &= ~(1u << 8);
    if (syscall(SYS_capset, &h, d) < 0)
        return 2;
    if (caps_empty_bounding(&why) != -1 || errno != EPERM)
        return 3;
    return strstr(why, "no CAP_SETPCAP") ? 0 : 4;
}

/* Holding nothing: nothing to give up, and the check passes. */
static void unprivileged(void)
{
    const char *why;
    is_int(caps_empty_bounding(&why), 0,
           "holding no capability: the bounding set is left (nothing to drop)");
    is_int(caps_clear(&why), 0, "clearing the sets needs no privilege");
    is_int(caps_check(0, &why), 0, "and the check finds none");
}

int main(void)
{
    if (really_holds_caps()) {
        is_int(in_child(drop_all), 0, "root: bounding set emptied, then "
               "CapInh, CapPrm, CapEff, CapBnd and CapAmb all 0 in /proc");
        is_int(in_child(check_sees_caps), 0, "the check sees capabilities "
               "kept, and a bounding set not emptied");
        is_int(in_child(no_setpcap), 0, "root without CAP_SETPCAP: the "
               "bounding set cannot be emptied, EPERM, and why says so");
    } else {
        tap_skip("the real drop (3 checks)", "this process holds no "
                 "capability (not root, or uid_wrapper's fake root)");
        unprivileged();
    }
    return tap_done();
}
