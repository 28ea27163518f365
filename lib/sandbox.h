/* SPDX-License-Identifier: ISC */
/*
 * sandbox.h -- a seccomp filter for the processes that parse what a
 * hostile client sends: pop3-greeter's parser, popkit-lmtpd's parser
 * and the TLS relay.  Each calls sandbox_enter() once its set-up is done
 * (the chroot, the change of user, the limits of lib/privsep, the TLS
 * context and session loaded); from then on a system call outside its
 * profile's allow-list kills the whole process with SIGSYS
 * (SECCOMP_RET_KILL_PROCESS), which its parent sees and logs.
 *
 * The filter is a classic BPF program written here (no libseccomp: the
 * greeter is a static musl program, and Debian's libseccomp is built for
 * glibc; see docs/DESIGN.md).  It first checks the architecture the
 * call came through (an i386 call from an x86_64 process, or x32, dies),
 * then the number.  mmap, mmap2 and mprotect pass only without
 * PROT_EXEC: a confined process never makes code.  A few calls that the
 * code reaches only on a path that cannot succeed in the confinement
 * anyway fail with EACCES instead of killing (socket: lib/log's syslog
 * reconnect; open and openat: lib/deliver_spool's fallback when memfd
 * fails, in the LMTP parser), so that the path fails as before.
 *
 * The allow-lists (sandbox.c) come from strace -f over the whole test
 * suite: read, write, poll, send and receive on the descriptors already
 * open, shutdown, close, the clocks, getpid for the log, getrandom, the
 * allocator (brk, mmap, munmap, mremap, madvise), exit.  The LMTP parser adds
 * memfd_create, sendmsg and a sleep (the spool it passes to the root
 * part, lib/fdpass); the relay adds futex (OpenSSL's locks).
 *
 * no_new_privs is set first, as the kernel requires of an unprivileged
 * process (and so that no later exec could gain privilege).
 *
 * Where no filter is installed (sandbox_enter returns SANDBOX_SKIPPED
 * and sandbox_skip_reason says why):
 *   - under valgrind (RUNNING_ON_VALGRIND, when valgrind.h was found at
 *     build time): the filter would confine valgrind itself, whose own
 *     system calls are not the program's;
 *   - on an architecture other than x86_64 and i386: no allow-list has
 *     been measured there, and a guessed one would kill good sessions.
 *     The confinement of lib/privsep and the relay's chroot still hold.
 * Builds with sanitizers (configure defines POPKIT_SANITIZER when CFLAGS
 * hold -fsanitize) allow what their runtimes need to write a report
 * (mprotect, sigaltstack, signals, the thread id, /proc/self/maps...):
 * an installed program is never built so.
 *
 * Kernel: SECCOMP_RET_KILL_PROCESS needs Linux 4.14; before it the
 * kernel kills the thread, which in these single-threaded processes is
 * the same.  A kernel without seccomp filters makes sandbox_enter fail.
 */
#ifndef POPKIT_SANDBOX_H
#define POPKIT_SANDBOX_H

/* A build with sanitizers: the filters allow their runtimes' calls
 * too (above), so the tests that expect a kill for those skip. */
#if defined(POPKIT_SANITIZER) || defined(__SANITIZE_ADDRESS__) || \
    defined(__SANITIZE_THREAD__)
#define SANDBOX_SANITIZER 1
#endif

enum sandbox_profile {
    SANDBOX_POP3_PARSER,   /* pop3-greeter's parser (pop3d/greeter_auth.c) */
    SANDBOX_LMTP_PARSER,   /* popkit-lmtpd's parser (deliver/lmtp_cmds.c) */
    SANDBOX_TLS_RELAY      /* the TLS relay after confine (lib/tls_relay.c) */
};

enum { SANDBOX_ON = 0, SANDBOX_SKIPPED = 1 };

/* Set no_new_privs and install the profile's filter.  SANDBOX_ON,
 * SANDBOX_SKIPPED (above), or -1 with errno when the kernel refused:
 * the caller must then not go on (fail closed). */
int sandbox_enter(enum sandbox_profile p);

/* Why sandbox_enter installs nothing here, or NULL when it does. */
const char *sandbox_skip_reason(void);

#ifdef POPKIT_SANDBOX_PROBE
/* Test twins only (tests/integration/pop3-greeter-probe): make a system
 * call no profile allows (socketpair: a new channel out), so a test sees
 * the kill.  Returns only when no filter holds. */
void sandbox_probe_forbidden(void);
#endif

#endif
