/* SPDX-License-Identifier: ISC */
/*
 * sandbox.c -- the seccomp filters (contract in sandbox.h).
 *
 * The program is built at run time from the profile's lists, in the
 * simplest shape that keeps every jump short: the architecture check,
 * then for each allowed number "equal? return ALLOW", for each number
 * with an argument check a block that ends in a return either way, and
 * a final "return KILL_PROCESS".
 *
 * The kernel's ABI is spelled out here rather than taken from
 * <linux/seccomp.h> and <linux/filter.h>: musl-gcc, which builds the
 * greeter, sees no kernel headers, and these values are fixed by the
 * kernel's user-space ABI.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox.h"

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define SANDBOX_VALGRIND() (RUNNING_ON_VALGRIND)
#endif
#endif
#ifndef SANDBOX_VALGRIND
#define SANDBOX_VALGRIND() 0
#endif

/* ---- the kernel's ABI ---- */

#ifndef PR_SET_NO_NEW_PRIVS
#define PR_SET_NO_NEW_PRIVS 38
#endif
#ifndef PR_SET_SECCOMP
#define PR_SET_SECCOMP 22
#endif
#define SB_SECCOMP_MODE_FILTER 2
#define SB_RET_KILL_PROCESS 0x80000000U
#define SB_RET_ERRNO 0x00050000U
#define SB_RET_ALLOW 0x7fff0000U

/* struct seccomp_data: int nr; u32 arch; u64 ip; u64 args[6]. */
#define SB_OFF_NR 0
#define SB_OFF_ARCH 4
/* The low 32 bits of args[i] (both architectures are little-endian). */
#define SB_OFF_ARG(i) (16 + 8 * (i))

/* Classic BPF, as struct sock_filter and struct sock_fprog. */
struct sb_insn {
    uint16_t code;
    uint8_t jt, jf;
    uint32_t k;
};
struct sb_prog {
    unsigned short len;
    struct sb_insn *insns;
};
#define SB_LD_W_ABS 0x20    /* BPF_LD | BPF_W | BPF_ABS */
#define SB_JEQ_K 0x15       /* BPF_JMP | BPF_JEQ | BPF_K */
#define SB_JGE_K 0x35       /* BPF_JMP | BPF_JGE | BPF_K */
#define SB_JSET_K 0x45      /* BPF_JMP | BPF_JSET | BPF_K */
#define SB_RET_K 0x06       /* BPF_RET | BPF_K */

#if defined(__x86_64__) && !defined(__ILP32__)
#define SB_ARCH 0xc000003eU      /* AUDIT_ARCH_X86_64 */
#define SB_X32_BIT 0x40000000U   /* __X32_SYSCALL_BIT */
#elif defined(__i386__)
#define SB_ARCH 0x40000003U      /* AUDIT_ARCH_I386 */
#endif

/* ---- the lists ---- */

#define SB_END (-1)

/* Every profile: the descriptors already open, the clocks (the vDSO
 * falls back to the system call under some hypervisors), getpid for the
 * log, the allocator (musl and glibc use different ones), exit. */
static const long sb_common[] = {
    SYS_read, SYS_write, SYS_close, SYS_poll, SYS_shutdown,
#ifdef SYS_sendto
    SYS_sendto, SYS_recvfrom,
#endif
    SYS_clock_gettime, SYS_gettimeofday,
#ifdef SYS_time
    SYS_time,
#endif
#ifdef SYS_clock_gettime64
    SYS_clock_gettime64,
#endif
    SYS_getpid,
    /* glibc's malloc takes a random key when it first runs (which may be
     * in the confined child), OpenSSL reseeds: no descriptor, no state. */
    SYS_getrandom,
    SYS_brk, SYS_munmap, SYS_mremap, SYS_madvise,
    SYS_rt_sigreturn, SYS_restart_syscall,
#ifdef SYS_sigreturn
    SYS_sigreturn,
#endif
    SYS_exit, SYS_exit_group,
    SB_END
};

/* The LMTP parser: the spool it writes and passes (lib/fdpass), and the
 * sleep with which fdpass_send waits out too many descriptors in flight
 * (found by bench_smoke's eight connections into one Maildir, a path
 * the strace runs had not reached). */
static const long sb_lmtp[] = {
    SYS_memfd_create, SYS_sendmsg, SYS_recvmsg,
    SYS_nanosleep, SYS_clock_nanosleep,
#ifdef SYS_clock_nanosleep_time64
    SYS_clock_nanosleep_time64,
#endif
    SB_END
};

/* The relay: OpenSSL's locks. */
static const long sb_relay[] = {
    SYS_futex,
#ifdef SYS_futex_time64
    SYS_futex_time64,
#endif
    SB_END
};

#ifdef SANDBOX_SANITIZER
/* What the sanitizer runtimes call to allocate, to print a report and
 * to abort, found with strace on a write past a heap block in a confined
 * child (tests/unit/test_sandbox.c): its options from /proc, isatty
 * for colours, the executable for the stack trace.  LSan's check at
 * exit is not reached: the confined processes leave by _exit. */
static const long sb_sanitizer[] = {
    SYS_mprotect, SYS_sigaltstack, SYS_rt_sigaction, SYS_rt_sigprocmask,
    SYS_gettid, SYS_tgkill, SYS_sched_yield, SYS_futex, SYS_writev,
    SYS_readlink, SYS_openat, SYS_lseek, SYS_fstat, SYS_prlimit64,
    SYS_getrlimit, SYS_pread64, SYS_prctl, SYS_ioctl, SYS_fcntl,
#ifdef SYS_fcntl64
    SYS_fcntl64,
#endif
#ifdef SYS_open
    SYS_open,
#endif
#ifdef SYS_newfstatat
    SYS_newfstatat,
#endif
#ifdef SYS_fstat64
    SYS_fstat64,
#endif
    SB_END
};

/* Refused with EPERM: the external symbolizer, a process of its own
 * (the runtime then names the frames itself, from the executable). */
static const long sb_sanitizer_refused[] = {
#ifdef SYS_pipe
    SYS_pipe,
#endif
#ifdef SYS_fork
    SYS_fork, SYS_vfork,
#endif
#ifdef SYS_clone3
    SYS_clone3,
#endif
    SYS_pipe2, SYS_clone, SB_END
};
#endif

/* i386 before Linux 4.3 (and glibc built for such kernels) reaches the
 * socket calls through socketcall(2): these calls pass, SOCKET fails
 * with EACCES as socket(2) does, any other kills. */
#ifdef SYS_socketcall
static const struct {
    uint32_t call;
    uint32_t action;
} sb_socketcalls[] = {
    { 1 /* SOCKET */, SB_RET_ERRNO | EACCES },
    { 9 /* SEND */, SB_RET_ALLOW }, { 10 /* RECV */, SB_RET_ALLOW },
    { 11 /* SENDTO */, SB_RET_ALLOW }, { 12 /* RECVFROM */, SB_RET_ALLOW },
    { 13 /* SHUTDOWN */, SB_RET_ALLOW }, { 16 /* SENDMSG */, SB_RET_ALLOW },
    { 17 /* RECVMSG */, SB_RET_ALLOW }
};
#endif

/* ---- building the program ---- */

#define SB_MAX 192

struct sb_build {
    struct sb_insn insn[SB_MAX];
    unsigned n;
    int overflow;
};

static void sb_emit(struct sb_build *b, uint16_t code, uint8_t jt,
                    uint8_t jf, uint32_t k)
{
    if (b->n >= SB_MAX) {
        b->overflow = 1;
        return;
    }
    b->insn[b->n++] = (struct sb_insn){ code, jt, jf, k };
}

static void sb_allow(struct sb_build *b, long nr, uint32_t action)
{
    sb_emit(b, SB_JEQ_K, 0, 1, (uint32_t)nr);
    sb_emit(b, SB_RET_K, 0, 0, action);
}

static void sb_allow_list(struct sb_build *b, const long *list,
                          uint32_t action)
{
    for (; *list != SB_END; list++)
        sb_allow(b, *list, action);
}

/* nr passes when its argument arg has no PROT_EXEC; A holds the number
 * before and is lost after, so both ends return. */
static void sb_allow_noexec(struct sb_build *b, long nr, int arg)
{
    sb_emit(b, SB_JEQ_K, 0, 4, (uint32_t)nr);
    sb_emit(b, SB_LD_W_ABS, 0, 0, SB_OFF_ARG(arg));
    sb_emit(b, SB_JSET_K, 0, 1, PROT_EXEC);
    sb_emit(b, SB_RET_K, 0, 0, SB_RET_KILL_PROCESS);
    sb_emit(b, SB_RET_K, 0, 0, SB_RET_ALLOW);
}

#ifdef SYS_socketcall
static void sb_allow_socketcall(struct sb_build *b)
{
    unsigned n = sizeof sb_socketcalls / sizeof sb_socketcalls[0];
    sb_emit(b, SB_JEQ_K, 0, (uint8_t)(2 * n + 2), SYS_socketcall);
    sb_emit(b, SB_LD_W_ABS, 0, 0, SB_OFF_ARG(0));
    for (unsigned i = 0; i < n; i++) {
        sb_emit(b, SB_JEQ_K, 0, 1, sb_socketcalls[i].call);
        sb_emit(b, SB_RET_K, 0, 0, sb_socketcalls[i].action);
    }
    sb_emit(b, SB_RET_K, 0, 0, SB_RET_KILL_PROCESS);
}
#endif

#ifdef SB_ARCH
static void sb_profile(struct sb_build *b, enum sandbox_profile p)
{
    /* Another architecture's numbers mean other calls: die. */
    sb_emit(b, SB_LD_W_ABS, 0, 0, SB_OFF_ARCH);
    sb_emit(b, SB_JEQ_K, 1, 0, SB_ARCH);
    sb_emit(b, SB_RET_K, 0, 0, SB_RET_KILL_PROCESS);
    sb_emit(b, SB_LD_W_ABS, 0, 0, SB_OFF_NR);
#ifdef SB_X32_BIT
    sb_emit(b, SB_JGE_K, 0, 1, SB_X32_BIT);
    sb_emit(b, SB_RET_K, 0, 0, SB_RET_KILL_PROCESS);
#endif
    sb_allow_list(b, sb_common, SB_RET_ALLOW);
    if (p == SANDBOX_LMTP_PARSER)
        sb_allow_list(b, sb_lmtp, SB_RET_ALLOW);
    if (p == SANDBOX_TLS_RELAY)
        sb_allow_list(b, sb_relay, SB_RET_ALLOW);
#ifdef SANDBOX_SANITIZER
    sb_allow_list(b, sb_sanitizer, SB_RET_ALLOW);
    sb_allow_list(b, sb_sanitizer_refused, SB_RET_ERRNO | EPERM);
#endif
    /* Refused with an errno: paths that fail in the confinement anyway
     * (sandbox.h). */
    sb_allow(b, SYS_socket, SB_RET_ERRNO | EACCES);
    if (p == SANDBOX_LMTP_PARSER) {
#ifdef SYS_open
        sb_allow(b, SYS_open, SB_RET_ERRNO | EACCES);
#endif
        sb_allow(b, SYS_openat, SB_RET_ERRNO | EACCES);
    }
#ifdef SYS_mmap2
    sb_allow_noexec(b, SYS_mmap2, 2);
#else
    sb_allow_noexec(b, SYS_mmap, 2);
#endif
#ifndef SANDBOX_SANITIZER
    sb_allow_noexec(b, SYS_mprotect, 2);
#endif
#ifdef SYS_socketcall
    sb_allow_socketcall(b);
#endif
    sb_emit(b, SB_RET_K, 0, 0, SB_RET_KILL_PROCESS);
}
#endif

/* ---- entering ---- */

const char *sandbox_skip_reason(void)
{
#ifndef SB_ARCH
    return "no seccomp filter for this architecture (x86_64 and i386 only)";
#else
    if (SANDBOX_VALGRIND())
        return "running under valgrind, which the filter would confine";
    return NULL;
#endif
}

int sandbox_enter(enum sandbox_profile p)
{
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return -1;
    if (sandbox_skip_reason())
        return SANDBOX_SKIPPED;
#ifdef SB_ARCH
    static struct sb_build b;
    b.n = 0;
    b.overflow = 0;
    sb_profile(&b, p);
    if (b.overflow) {
        errno = E2BIG;
        return -1;
    }
    struct sb_prog prog = { (unsigned short)b.n, b.insn };
    if (prctl(PR_SET_SECCOMP, SB_SECCOMP_MODE_FILTER, &prog, 0, 0) < 0)
        return -1;
#else
    (void)p;
#endif
    return SANDBOX_ON;
}

#ifdef POPKIT_SANDBOX_PROBE
void sandbox_probe_forbidden(void)
{
    int sv[2];
    if (syscall(SYS_socketpair, 1 /* AF_UNIX */, 1 /* SOCK_STREAM */, 0,
                sv) == 0) {
        close(sv[0]);
        close(sv[1]);
    }
}
#endif
