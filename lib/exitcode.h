/* SPDX-License-Identifier: ISC */
/*
 * exitcode.h -- what a popkit program's exit status tells its caller,
 * one convention for all of them: qmail's, which the checkpassword
 * interface (cpw.h) shares, so that inetd, tcpserver, a mail reader's
 * wrapper or a greeter can act on the number alone.
 *
 *   0                    done (a stage that execs the next exits with
 *                        the next one's status)
 *   EXIT_BAD_LOGIN (1)   checkpassword: the credentials are wrong; the
 *                        client may try again
 *   EXIT_MISUSE (2)      called wrongly (arguments, descriptors); the
 *                        program said why (usage.h)
 *   EXIT_PERM (100)      permanent failure: trying again changes nothing
 *                        until someone changes the setup (no such
 *                        directory, no permission, no mail reader)
 *   EXIT_TEMP (111)      temporary failure: worth trying again later (out
 *                        of memory, disk full, a lock held, a child that
 *                        died)
 *
 * A program exits with one of these, or passes on the status of a
 * program it ran (qail passes maildir2mbox's).  vuser, a command for the
 * administrator and not run by other programs, exits 1 for an edit
 * refused or failed (vuser(8)).
 */
#ifndef POPKIT_EXITCODE_H
#define POPKIT_EXITCODE_H

#define EXIT_BAD_LOGIN 1
#define EXIT_MISUSE 2
#define EXIT_PERM 100
#define EXIT_TEMP 111

#endif
