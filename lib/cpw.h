/* SPDX-License-Identifier: ISC */
/*
 * cpw.h -- the checkpassword interface between stage 1 and stage 2.
 *
 * Stage 1 (the greeter) runs stage 2 with the credentials on a pipe at
 * descriptor CPW_FD (3): login\0password\0timestamp\0, at most CPW_MAX
 * bytes.  Stage 2 reads them to EOF, checks them, and on success execs
 * the rest of its argv (stage 3) with the client still on fds 0 and 1.
 *
 * Exit codes of stage 2: 0 never (it execs), CPW_BAD (1) bad credentials,
 * CPW_MISUSE (2) misuse, CPW_TEMP (111) temporary failure.  Stage 3 exits
 * 0 once it has answered the client, so the greeter treats 1 as a failed
 * login and 111, 2 or a signal as a temporary failure.
 *
 * The record is packed and split in cpw_record.c, for the greeter's two
 * halves as for the two stages; the spawn side lives in cpw_spawn.c, the
 * read side in cpw_read.c.
 */
#ifndef POPKIT_CPW_H
#define POPKIT_CPW_H

#include <stddef.h>
#include <sys/types.h>

#include "exitcode.h"
#include "params.h"

/* The exit codes of stage 2: the house convention (exitcode.h). */
#define CPW_BAD EXIT_BAD_LOGIN
#define CPW_MISUSE EXIT_MISUSE
#define CPW_TEMP EXIT_TEMP

/* The record login\0password\0timestamp\0 of the three strings into
 * buf, which has room for cap bytes.  Returns its length, or -1 when it
 * is longer than cap or than CPW_MAX; nothing is written then, so no part
 * of a password is left in buf. */
ssize_t cpw_pack(char *buf, size_t cap, const char *login,
                 const char *password, const char *timestamp);

/* Split the record rec[0..len) into its fields, which then point into
 * rec; empty fields are fields.  The timestamp may be absent
 * (login\0password\0, what some greeters send) and is "" then; bytes
 * after the timestamp's NUL are not looked at.  Returns the bytes the
 * fields take with their NULs (at most len), or -1 when len is over
 * CPW_MAX or a field lacks its NUL; the out-pointers are untouched then.
 * Nothing is copied: wiping rec wipes the password. */
ssize_t cpw_unpack(const char *rec, size_t len, const char **login,
                   const char **password, const char **timestamp);

/* What stage 2 read from fd 3.  The fields point into buf.  The caller
 * wipes it with cpw_wipe() as soon as the check is done. */
struct cpw_creds {
    char buf[CPW_MAX + 1];
    const char *login;
    const char *password;
    const char *timestamp;   /* APOP challenge or "" */
};

/* Read fd CPW_FD to EOF and split it.  Returns 0, or CPW_MISUSE when the
 * payload is longer than CPW_MAX or lacks the NULs, or when there is no
 * descriptor 3 at all (the caller did not speak the protocol), CPW_TEMP
 * on any other read error.  The descriptor is closed either way. */
int cpw_read(struct cpw_creds *c);
void cpw_wipe(struct cpw_creds *c);

/* Stage 1: run argv[0] with fds 0 and 1 as given (the client), the
 * credentials on a pipe at fd 3, and wait for it.  The payload is built
 * from the three strings; each is wiped by the caller afterwards.
 * Returns the wait status as from waitpid(2), or -1 if it could not be
 * started (errno set). */
int cpw_run(char *const argv[], const char *login, const char *password,
            const char *timestamp);

/* The same in two steps, so that stage 2's exec and start-up can happen
 * while the client is still typing: cpw_start() runs argv[0] with an
 * empty pipe at fd 3 (it waits in its read), cpw_finish() writes the
 * credentials, closes the pipe and waits; cpw_cancel() kills and reaps a
 * started stage 2 that will get none.  The caller must ignore SIGPIPE.
 * pid is 0 when nothing is started. */
struct cpw_child {
    pid_t pid;
    int fd;        /* the pipe's write end */
};
/* 0, or -1 with errno (nothing started then). */
int cpw_start(struct cpw_child *ch, char *const argv[]);
/* As cpw_run() returns; the child is gone afterwards either way. */
int cpw_finish(struct cpw_child *ch, const char *login, const char *password,
               const char *timestamp);
void cpw_cancel(struct cpw_child *ch);

#endif
