/* SPDX-License-Identifier: ISC */
#include "addrslot.h"
#include "tap.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void test_keys(void)
{
    char k[ADDRSLOT_NAME_MAX];
    is_int(addrslot_key("192.0.2.7", k, sizeof k), 0, "IPv4: a key");
    is_str(k, "192.0.2.7", "IPv4: the address itself");
    is_int(addrslot_key("::ffff:192.0.2.7", k, sizeof k), 0, "v4-mapped: a key");
    is_str(k, "192.0.2.7", "v4-mapped counts as its IPv4 address");
    addrslot_key("2001:db8:1:2:3:4:5:6", k, sizeof k);
    is_str(k, "2001:db8:1:2::-64", "IPv6: the /64");
    addrslot_key("2001:DB8:1:2::ffff", k, sizeof k);
    is_str(k, "2001:db8:1:2::-64", "another address of the /64: the same key");
    addrslot_key("2001:db8:1:3::1", k, sizeof k);
    is_str(k, "2001:db8:1:3::-64", "the next /64: another key");
    is_int(addrslot_key("unknown", k, sizeof k), -1, "not an address: -1");
    is_int(addrslot_key("../etc", k, sizeof k), -1, "a path: -1");
    is_int(addrslot_key("192.0.2.7", k, 5), -1, "no room: -1");
}

/* In a child: take a slot for key, report 'T' or 'F' on fd, and hold it
 * until killed. */
static pid_t holder(int dirfd, const char *key, unsigned max, int *rd)
{
    int p[2];
    if (pipe(p) < 0)
        exit(1);
    pid_t pid = fork();
    if (pid == 0) {
        struct addrslot s;
        int r = addrslot_take(&s, dirfd, key, max);
        (void)!write(p[1], r == 1 ? "T" : r == 0 ? "F" : "E", 1);
        pause();
        _exit(0);
    }
    close(p[1]);
    *rd = p[0];
    return pid;
}

static char answer(int rd)
{
    char c = '?';
    (void)!read(rd, &c, 1);
    close(rd);
    return c;
}

static void test_slots(const char *dir)
{
    int dirfd = open(dir, O_RDONLY | O_DIRECTORY);
    pid_t pids[3];
    int rd;
    char got[4] = "";
    for (int i = 0; i < 3; i++) {
        pids[i] = holder(dirfd, "192.0.2.7", 2, &rd);
        got[i] = answer(rd);
    }
    is_str(got, "TTF", "two slots: two holders take one each, the third is refused");
    pid_t other = holder(dirfd, "192.0.2.8", 2, &rd);
    is_int(answer(rd), 'T', "another address has slots of its own");
    kill(pids[0], SIGKILL);
    waitpid(pids[0], NULL, 0);
    pids[0] = holder(dirfd, "192.0.2.7", 2, &rd);
    is_int(answer(rd), 'T', "a holder killed: its slot is free at once");
    for (int i = 0; i < 3; i++) {
        kill(pids[i], SIGKILL);
        waitpid(pids[i], NULL, 0);
    }
    kill(other, SIGKILL);
    waitpid(other, NULL, 0);

    struct addrslot s, t;
    is_int(addrslot_take(&s, dirfd, "192.0.2.9", 1), 1, "one slot: taken");
    is_int(addrslot_take(&t, dirfd, "192.0.2.9", 1), 0,
           "the same process again, another open file: refused");
    struct stat st;
    ok(fstatat(dirfd, "192.0.2.9.0", &st, 0) == 0 && S_ISREG(st.st_mode) &&
       (st.st_mode & 077) == 0, "the slot file: RUNDIR/KEY.0, mode 0600");
    addrslot_release(&s);
    ok(fstatat(dirfd, "192.0.2.9.0", &st, 0) < 0, "released: its file is removed");
    is_int(addrslot_take(&t, dirfd, "192.0.2.9", 1), 1, "and the slot free");
    addrslot_release(&t);
    addrslot_release(&t);   /* twice: a no-op */
    is_int(addrslot_take(&s, dirfd, "192.0.2.9", 0), 0, "no slots at all: refused");

    /* A symlink planted for a slot is not followed. */
    symlinkat("/etc/passwd", dirfd, "192.0.2.10.0");
    is_int(addrslot_take(&s, dirfd, "192.0.2.10", 1), -1,
           "a symlink for a slot file: an error, not followed");
    unlinkat(dirfd, "192.0.2.10.0", 0);
    close(dirfd);
}

int main(void)
{
    char dir[] = "/tmp/test_addrslot.XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    test_keys();
    test_slots(dir);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 1;
    return tap_done();
}
