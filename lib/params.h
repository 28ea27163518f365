/* SPDX-License-Identifier: ISC */
/*
 * params.h -- every limit and default popkit has, in one place.
 *
 * Each value says why it is what it is.  Programs take their limits from
 * here and nowhere else; an option that overrides one names it.
 *
 * Two parts, as popa3d's params.h has them: first the policy an
 * administrator may tune, then the structure that follows from the RFCs
 * and from popkit's own formats, which is not to be tuned.  Within each
 * part, sections belong to the module that uses them, in one order.
 */
#ifndef POPKIT_PARAMS_H
#define POPKIT_PARAMS_H

/* ==================================================================
 * Part 1. Policy: what an administrator may tune.
 *
 * Timeouts, counts, sizes of buffers, defaults and paths: each is a
 * choice, with its reason; another value rebuilds into another policy
 * and no protocol notices.  An option that overrides one names it.
 * ================================================================== */

/* ---- POP3 protocol (RFC 1939, RFC 2449) ---- */

/* RFC 1939 §3: the inactivity timer is at least 10 minutes. */
#define POP3_IDLE_TIMEOUT 600
/* Before login a silent client is cut off sooner: it holds a process and
 * has proven nothing.  Still generous for a human typing.  A deadline
 * for each command line (lib/io.h), not a timeout per read. */
#define POP3_PRELOGIN_TIMEOUT 120
/* And one deadline for the whole pre-login phase, from the connection
 * to the login (--login-deadline): a client that answers every command
 * in time still cannot hold a connection's processes for longer.  Three
 * minutes is a few round trips, three failed logins' delays and a TLS
 * handshake many times over; RFC 1939's 10 minutes (the inactivity timer
 * of a logged-in client) is the most it may be set to. */
#define POP3_LOGIN_DEADLINE 180
#define POP3_LOGIN_DEADLINE_MAX 600
/* Lines the greeter answers before login before it gives up on a client
 * that never authenticates (bounded work per connection). */
#define POP3_PRELOGIN_MAX_COMMANDS 50
/* Failed logins per connection before it is closed: a client guessing
 * passwords must reconnect every few tries (--max-failures overrides). */
#define POP3_AUTH_MAX_FAILURES 3
/* Seconds to wait before answering a failed login (--fail-delay). */
#define POP3_AUTH_FAIL_DELAY 2
/* What the IMPLEMENTATION capability says. */
#define POPKIT_IMPLEMENTATION "popkit"
/* RFC 2449 §6.5, §6.7: LOGIN-DELAY and EXPIRE as --login-delay and
 * --expire set them (announced, not enforced).  A week between logins
 * and ten years of keeping mail are the most that mean anything; beyond
 * is a typing slip (a client told to wait longer would never check;
 * keeping mail longer is NEVER). */
#define POP3_LOGIN_DELAY_MAX (7u * 24 * 3600)
#define POP3_EXPIRE_DAYS_MAX 3650u

/* ---- privilege separation (lib/privsep.h: pop3-greeter, popkit-lmtpd) ---- */

/* The unprivileged parser of the network runs as this user; popkit's own
 * account, since nobody may also own mail (stage 3 of other sessions). */
#define PRIVSEP_USER "popkit"
#define PRIVSEP_FALLBACK "nobody"
/* (Both are looked up in /etc/passwd by lib/acctfile, never through NSS:
 * the greeter is linked statically, and they are local system accounts.) */
/* ...chrooted here: an empty, root-owned directory (created 0755 when
 * missing). */
#define PRIVSEP_DIR "/var/empty"
/* Capability numbers probed when emptying the bounding set (lib/caps.h):
 * capget(2)'s version 3 sets hold 64; the kernel's last one is lower. */
#define CAPS_MAX 64

/* ---- pop3-greeter (pop3d/greeter*.c) ---- */

/* --fail-delay and --max-failures are capped so a typing slip cannot hold
 * a process for hours or make the attempt limit meaningless. */
#define GREETER_FAIL_DELAY_MAX 60
#define GREETER_MAX_FAILURES_MAX 100
/* How long past the login deadline the root part waits for a parser
 * child, which ends itself at the deadline, before it kills it. */
#define GREETER_PARSER_GRACE_SECONDS 2
/* When the greeter ends a session, it half-closes and reads what the
 * client still sends, for at most this long and this much: closing with
 * unread input makes TCP send a reset that can destroy our last answer
 * before the client reads it. */
#define GREETER_LINGER_SECONDS 2
#define GREETER_LINGER_BYTES 65536

/* ---- popkit-lmtpd (deliver/lmtp*.c; RFC 2033, RFC 5321) ---- */

/* RFC 5321 §4.5.3.2.7: a server waits at least 5 minutes for the next
 * command, and §4.5.3.2.5-6 give the client 3 minutes per data block:
 * one timer of 5 minutes for every read covers both (--timeout).
 * The option is capped at an hour: beyond, a stuck client holds two
 * processes for nothing. */
#define LMTP_TIMEOUT 300
#define LMTP_TIMEOUT_MAX 3600
/* RFC 5321 §4.5.3.1.8: a server must take at least 100 recipients a
 * transaction; the 101st gets 452 4.5.3 and the client sends it in the
 * next one (--max-recipients). */
#define LMTP_RCPT_MAX 100
#define LMTP_RCPT_LIMIT_MAX 10000
/* Largest message taken (--size, announced as SIZE): popkit-deliver's. */
#define LMTP_SIZE_MAX DELIVER_SIZE_MAX
/* A DATA line longer than this refuses the message, for every
 * recipient, with 554 5.6.0 after the final dot: RFC 5321 §4.5.3.1.6
 * allows 1000 octets with the CRLF, but real mail breaks that, and
 * Postfix passes lines of up to its line_length_limit (2048) as they
 * are; 8 KiB holds both with room.  Cutting or splitting a longer line
 * would change the message behind its sender's back. */
#define LMTP_DATA_LINE_MAX 8192
/* Refused commands a connection may send before it is closed with 421:
 * a client that only errs is not an MTA that will get anywhere. */
#define LMTP_MAX_ERRORS 20
/* At the end of a connection the root part half-closes and reads what
 * the client still sends, for at most this long and this much, as the
 * greeter does (GREETER_LINGER_*) and for the same reason. */
#define LMTP_LINGER_SECONDS 2
#define LMTP_LINGER_BYTES 65536
/* The parser accepts again, without asking the root part, a recipient
 * the root part accepted in the last LMTP_RCPT_SEEN_SECONDS, among the
 * last LMTP_RCPT_SEEN_MAX distinct ones: an MTA that sends one busy
 * mailbox message after message over a kept connection saves a round
 * trip between the processes per message.  Nothing is trusted by it:
 * the root part checks every recipient again when the message comes
 * (lmtp.h), so one removed from the directory in between (--ldap; the
 * users file is read once a connection) gets its 550 after DATA. */
#define LMTP_RCPT_SEEN_MAX 8
#define LMTP_RCPT_SEEN_SECONDS 30
/* lib/deliver reads a spool in pieces of this size, on the stack (small:
 * with -fstack-clash-protection every page of a frame is probed, so
 * resident), where it cannot hand it to sendfile(2), which it does in
 * pieces of at most DELIVER_SENDFILE_MAX (under the 2 GiB one call
 * moves). */
#define DELIVER_COPY_CHUNK 8192
#define DELIVER_SENDFILE_MAX (1u << 30)
/* A message is written into the spool in pieces of this size. */
#define LMTP_SPOOL_CHUNK 16384
/* The kernel counts descriptors in flight over Unix sockets per user
 * against the sender's RLIMIT_NOFILE (ETOOMANYREFS past it): every
 * parser runs as the one privsep account with a handful of descriptors,
 * so a few connections handing over their spools at once exceed it
 * until the root parts have taken theirs, which takes them moments.
 * fdpass_send waits that out, in steps of FDPASS_INFLIGHT_STEP_MS, for
 * at most FDPASS_INFLIGHT_WAIT_MS before it gives up (then 421 4.3.0). */
#define FDPASS_INFLIGHT_STEP_MS 2
#define FDPASS_INFLIGHT_WAIT_MS 30000

/* ---- I/O (lib/io.h) ---- */

/* Input buffer: a command line fits many times over, so pipelined
 * commands are read in one system call. */
#define IO_INBUF_SIZE 4096
/* Output buffer: large, so RETR makes few write calls. */
#define IO_OUTBUF_SIZE 65536
/* Seconds a write may block on a client that does not read. */
#define IO_WRITE_TIMEOUT 600

/* ---- checkpassword programs and vuser (lib/userdb.h, lib/pwcheck.h,
 *      lib/privdrop.h) ---- */

/* checkpassword-shadow and -pam refuse accounts below this uid unless -m
 * says otherwise: Debian gives people uids from 1000 (adduser.conf
 * FIRST_UID); system accounts below it have no business reading mail. */
#define CPW_MIN_UID_DEFAULT 1000
/* SHELL when the account has none (passwd(5): empty means /bin/sh). */
#define CPW_DEFAULT_SHELL "/bin/sh"
/* The PAM service checkpassword-pam uses without -s. */
#define CPW_PAM_SERVICE_DEFAULT "pop3"
/* The users file of checkpassword-virtual and vuser without -f: one
 * path, fixed by configure's sysconfdir (/etc in the Debian package,
 * /usr/local/etc by default). */
#define CPW_USERS_FILE SYSCONFDIR "/popkit/users"
/* The users file is read whole at every login (one read, no stdio):
 * 64 MiB is some 400,000 users at 160 bytes a line.  A bigger file
 * wants a database; reading it would cost more than the crypt. */
#define USERDB_FILE_MAX (64L * 1024 * 1024)

/* ---- alias files (lib/aliases.h, popkit-aliases(5)) ---- */

/* The directory of the per-domain alias files without -a, fixed by
 * configure's sysconfdir as the users file is. */
#define ALIASES_DIR SYSCONFDIR "/popkit/aliases"
/* One physical line: as the users file's (USERDB_LINE_MAX); longer is a
 * bad line. */
#define ALIASES_LINE_MAX 4096
/* One entry with its continuation lines: a fan-out of some 250 full
 * addresses; a list longer than that belongs in a mailing list manager. */
#define ALIASES_ENTRY_MAX 65536
/* A whole alias file is read at once: 16 MiB is some 200,000 entries. */
#define ALIASES_FILE_MAX (16L * 1024 * 1024)
/* Aliases nest at most this deep (a name, an alias it names, ...):
 * sendmail stops at 10 (MAXRCRSN) too.  A loop is found exactly, so the
 * bound only keeps the chains an administrator can follow. */
#define ALIASES_DEPTH_MAX 10
/* The mailboxes and forward addresses one recipient may come to: each
 * is one delivery or one sendmail run. */
#define ALIASES_TARGETS_MAX 1000
/* A bare name, or the local part of a target: RFC 5321 4.5.3.1.1. */
#define ALIASES_NAME_MAX 64

/* ---- checkpassword-ldap (lib/ldapcfg.h) ---- */

/* The configuration file without -c. */
#define LDAPCFG_FILE SYSCONFDIR "/popkit/ldap.conf"
/* A configuration file is a few dozen lines; anything near this is not
 * one (and is not read whole at every login). */
#define LDAPCFG_FILE_MAX (64 * 1024)
/* A line: a long filter or DN fits many times over. */
#define LDAPCFG_LINE_MAX 4096
/* An entry of the usual schemas: posixAccount, found by its uid. */
#define LDAPCFG_FILTER_DEFAULT "(&(objectClass=posixAccount)(uid=%u))"
#define LDAPCFG_UID_ATTR "uidNumber"
#define LDAPCFG_GID_ATTR "gidNumber"
#define LDAPCFG_HOME_ATTR "homeDirectory"
/* Seconds to reach the directory, and for each operation after: a
 * greeter waits on us while its client waits on it, and a directory
 * that takes longer is down for this login (111, the client may try
 * again).  Short enough that the client does not give up first. */
#define LDAPCFG_TIMEOUT 5
#define LDAPCFG_OP_TIMEOUT 10
#define LDAPCFG_TIMEOUT_MAX 300
/* The CAs a server's certificate is checked against without ca_file:
 * Debian's ca-certificates bundle (what Debian's own ldap.conf names;
 * the system's ldap.conf is not read, see checkpassword-ldap(8)). */
#define LDAPCFG_CA_DEFAULT "/etc/ssl/certs/ca-certificates.crt"
/* The bind password file: one line. */
#define LDAPCFG_PW_MAX 1024
/* One answer of checkpassword-ldap --recipients (lib/ldaprcpt.h): an
 * owner and two paths, or a reason, with room to spare. */
#define LDAPRCPT_ANSWER_MAX 4096

/* ---- local accounts without NSS (lib/acctfile.h, lib/slurp.h) ---- */

/* /etc/passwd and /etc/group are read whole at every virtual login; a
 * local file beyond 64 MiB (some 500,000 accounts) is not one to read
 * per session, and a bound keeps a runaway file from eating memory. */
#define ACCTFILE_MAX (64L * 1024 * 1024)
/* slurp() takes memory for a file this big or bigger from mmap with
 * MAP_POPULATE, all pages at once, rather than from malloc, whose
 * fresh pages fault one by one as read fills them: at 128 KiB (glibc's
 * own mmap threshold) the faults start to cost more than the mmap. */
#define SLURP_POPULATE_MIN (128 * 1024)

/* ---- per-address connection limit (lib/addrslot.h) ---- */

/* --per-address caps N: a few hundred connections from one address is
 * already more than any NAT gateway's users fetch mail at once. */
#define ADDRSLOT_MAX 1000
/* The run directory of the slot files when --run-dir is not given and
 * systemd set no $RUNTIME_DIRECTORY: root's, 0700, made when missing. */
#define ADDRSLOT_RUN_DIR "/run/popkit"
/* A slot file's name: the key (at most an IPv6 prefix's text and "-64")
 * and ".N". */
#define ADDRSLOT_NAME_MAX 64

/* ---- PROXY protocol from a load balancer (lib/proxyproto.h) ---- */

/* Seconds a listed balancer gets to send the whole header: it writes it
 * at once with its connect, so anything slower is broken or not the
 * balancer, and holds a process for nothing. */
#define PROXYPROTO_TIMEOUT 5
/* Octets of v2 TLVs accepted after the addresses: HAProxy's unique-id,
 * ALPN, authority and SSL TLVs fit easily; more is refused, not read. */
#define PROXYPROTO_TLV_MAX 1024
/* CIDRs in one --proxy-from: a site's balancers, not a routing table. */
#define PROXYPROTO_FROM_MAX 32

/* ---- TLS relay (lib/tls.h) ---- */

/* Seconds a client gets to finish the TLS handshake: a real client needs
 * a few round trips; one that stalls holds a process and has proven
 * nothing (the same reasoning as POP3_PRELOGIN_TIMEOUT, but shorter:
 * nobody types a handshake). */
#define TLS_HANDSHAKE_TIMEOUT 30
/* After the handshake the relay gives up when nothing has moved either
 * way for this long: longer than the stages' own idle and write timers,
 * so they speak (and log) first; the relay is only the backstop. */
#define TLS_RELAY_IDLE_TIMEOUT (POP3_IDLE_TIMEOUT + 60)
/* Seconds the relay waits, after its close_notify and TCP half-close,
 * for the client to close, so a late packet cannot make the kernel
 * reset the connection while the client still reads the last reply. */
#define TLS_LINGER_TIMEOUT 5
/* Plaintext buffered each way: 16 KiB is one TLS record (RFC 8446
 * 5.1); stage output gets four so a RETR makes full records. */
#define TLS_RELAY_INBUF 16384
#define TLS_RELAY_OUTBUF 65536
/* The account and empty directory the relay runs in when started by
 * root (tls.h: cfg.user, cfg.root).  /var/empty is popa3d's and
 * OpenSSH's choice; created if missing. */
#define TLS_RELAY_USER "nobody"
#define TLS_RELAY_ROOT "/var/empty"
/* The TLS 1.2 suites offered when the caller names none (cfg.ciphers):
 * Mozilla's "intermediate" profile, AEAD with forward secrecy only --
 * ECDHE (or DHE, with OpenSSL's built-in DH parameters) and AES-GCM or
 * ChaCha20-Poly1305.  No CBC (Lucky 13, padding oracles) and no static
 * RSA key exchange.  TLS 1.3's own suites are all AEAD with forward
 * secrecy and stay OpenSSL's. */
#define TLS_CIPHERS_DEFAULT \
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:" \
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:" \
    "DHE-RSA-CHACHA20-POLY1305"

/* ---- mbox writer and maildir2mbox (lib/mbox.h) ---- */

/* Seconds maildir2mbox waits for a mail reader or a POP3 session that
 * holds the mbox or Maildir lock before giving up with 111 (-w
 * overrides).  A minute covers a reader rewriting a large mbox; longer
 * would leave a qail user staring at nothing. */
#define MBOX_LOCK_WAIT 60
/* A dotlock older than this is taken to be left by a dead process and
 * removed: 5 minutes, liblockfile's and procmail's order of magnitude,
 * far beyond any real hold of an mbox lock. */
#define MBOX_DOTLOCK_STALE 300
/* Output buffer of the mbox writer: large, so appending a big message
 * takes few write(2) calls. */
#define MBOX_OUTBUF_SIZE 65536
/* Bytes of a message read at once when copying it into the mbox. */
#define MBOX_READ_CHUNK 65536
/* Header bytes searched for Return-Path (the envelope sender is the
 * first header line a delivery agent writes, so this is generous). */
#define MBOX_HEADER_SCAN 65536
/* Messages moved in one journalled step: bounds the journal (names of
 * at most 255 bytes) and the work a crash rolls back. */
#define MBOX_BATCH_MAX 1000

/* ---- delivery (lib/deliver.h, popkit-deliver, popkit-lmtpd) ---- */

/* The MTA's sendmail(8) interface, for forward addresses: every MTA in
 * Debian (Postfix, Exim, OpenSMTPD) installs it here. */
#define DELIVER_SENDMAIL "/usr/sbin/sendmail"
/* The account forwards run as when the deliverer is root: sendmail
 * needs no privilege to queue a message. */
#define DELIVER_FORWARD_USER "nobody"
/* Largest message popkit-deliver takes (-s overrides): 50 MiB, Postfix's
 * default message_size_limit is a fifth of that. */
#define DELIVER_SIZE_MAX 52428800
/* Header octets searched for this recipient's Delivered-To: (as
 * MBOX_HEADER_SCAN: the MTA's lines come first, a loop shows early). */
#define DELIVER_HEADER_SCAN_MAX (256 * 1024)
/* Seconds a sendmail run for a forward may take before it is killed
 * and the delivery deferred. */
#define DELIVER_FORWARD_TIMEOUT 300
/* Owners a delivery pool (deliver.h) keeps a child for at once: a
 * connection's mail mostly has one owner (a domain's), and each child
 * is a process held for the connection's life. */
#define DELIVER_POOL_MAX 8

/* ---- where the mail is (lib/mailenv.h) ---- */

/* Under $HOME when $MAILDIR or $MAIL is unset: qmail's Maildir (the
 * slash says it is a directory, as qmail's dot-qmail line does) and its
 * mbox, as qmail's maildir2mbox and qail used them. */
#define MAILENV_MAILDIR_LEAF "Maildir/"
#define MAILENV_MBOX_LEAF "Mailbox"

/* ---- maildirwatch ---- */

/* Seconds between rescans of new/ where inotify is missing: "new mail
 * shows within a second or so". */
#define MAILDIRWATCH_POLL_INTERVAL 1
/* Header bytes read from each message (once): From and Subject are near
 * the top; a header larger than this is cut, never read whole. */
#define MAILDIRWATCH_HEADER_MAX 65536
/* Bytes kept of a decoded From or Subject: far wider than any screen. */
#define MAILDIRWATCH_FIELD_MAX 1024

/* ---- Maildir core and pop3-maildir (lib/maildir.h, lib/msgfmt.h) ---- */

/* Messages one session handles: bounds a session's memory (about 80
 * bytes a message) to ~160 MB whatever lands in the Maildir; POP3
 * clients cannot sensibly download more in one go.  The rest waits. */
#define MAILDIR_MAX_MESSAGES 2000000
/* How long a new session waits for the lock before -ERR [IN-USE]: a
 * client that reconnects at once (or drops and redials) finds its old
 * session still exiting; a real second session is refused soon enough. */
#define MAILDIR_LOCK_WAIT_MS 1500
/* Poll step while waiting for the lock. */
#define MAILDIR_LOCK_RETRY_MS 20
/* Bytes read from a message file at once (RETR, TOP, sizing new mail):
 * large so a big message takes few read(2) calls; on the stack never. */
#define MAILDIR_READ_CHUNK (256 * 1024)
/* A listing is saved only when both directories last changed before
 * the scan began (maildir_settled in maildir_cache.c): a change after
 * that start is stamped from the same clock, so never with the saved
 * stamps.  The margin covers file systems that round stamps (to the
 * microsecond, say) below a millisecond; one that keeps whole
 * milliseconds or seconds (every stamp's nanoseconds a multiple of 1 ms)
 * gets MAILDIR_LISTING_SETTLE_COARSE_MS, beyond FAT's 2 s. */
#define MAILDIR_LISTING_SETTLE_US 1000
#define MAILDIR_LISTING_SETTLE_COARSE_MS 2100
/* On a network or cluster file system another host changes new/ and
 * cur/ too, and its change is stamped by its own clock (CephFS and
 * GlusterFS's ctime feature take the client's time) or the server's
 * (NFS): the margin above also covers their clocks running up to this
 * much behind this host's.  NTP keeps hosts within milliseconds; 2 s
 * leaves room for one whose NTP has been failing for a day.  The cost:
 * the listing is saved by the first session that begins 2 s after the
 * last change, not by the session that made it (pop3-maildir(8),
 * --settle overrides it). */
#define MAILDIR_LISTING_SETTLE_SHARED_MS 2000
#define MAILDIR_LISTING_SETTLE_MAX_MS 600000
/* How long QUIT after a session that moved mail from new/ waits for the
 * directories' stamps to settle before saving the listing for the next
 * session (maildir_listing_refresh): a few coarse clock ticks; on a
 * file system with coarse stamps it gives up, the next session saves it. */
#define MAILDIR_LISTING_REFRESH_WAIT_MS 25
/* A scan that has more messages than this to move from new/ to cur/
 * answers first while a forked helper renames them (the renames are
 * most of a first session's cost: ~13 us each on ext4 with 100,000
 * names); below it a fork costs more than it saves. */
#define MAILDIR_MOVE_ASYNC_MIN 256
/* Distinct reasons (errno values) a scan counts for the renames from
 * new/ to cur/ that failed: one log line each, with its count, however
 * many renames a full disk refuses; further reasons share the last. */
#define MAILDIR_MOVE_ERRORS 4
/* A scan that must read more messages than this to learn their sizes
 * reads half of them in a forked helper (two cores: the open/read/close
 * of each file is mostly kernel time that parallelizes); below it the
 * fork costs more than it saves. */
#define MAILDIR_SIZE_FORK_MIN 256
/* After QUIT, pop3-maildir half-closes and reads what the client still
 * sends, for at most this long and this much: closing with unread input
 * makes TCP send a reset that can destroy the last answer (as the
 * greeter's GREETER_LINGER_*, for when another greeter is in front). */
#define MAILDIR_LINGER_SECONDS 2
#define MAILDIR_LINGER_BYTES 65536

/* ---- Maildir++ quota (lib/mdquota.h) ---- */

/* Scans a recalculation makes while directories change under it, the
 * last result being written whatever happens: a busy Maildir must not
 * hold a delivery in an endless rescan. */
#define MDQUOTA_RECALC_TRIES 3

/* ---- UIDLs another server left (lib/uidlmap.h, pop3-maildir --uidl-from) ---- */

/* Largest dovecot-uidlist or courierpop3dsizelist read: about 60 bytes a
 * message in either, so 2 million messages (MAILDIR_MAX_MESSAGES) fit;
 * a bigger file is no file either server wrote for a Maildir popkit
 * serves, and is ignored rather than read into memory. */
#define UIDLMAP_FILE_MAX (256L * 1024 * 1024)

/* ---- Logging (lib/log) ---- */

/* Each connection key's value (user=, rip=...): a login name is at most
 * CPW_MAX, but a log line is no place for 500 bytes of it. */
#define LOG_KEY_MAX 64
/* A value quoted in a log line outside the keys (a login PAM or the
 * passwd file gave, a client address, a TLS cipher's name): 64 holds any
 * IPv6 address (INET6_ADDRSTRLEN is 46) and every real name; a longer
 * one is cut, and still says what it was. */
#define LOG_FIELD_MAX 64
/* A sentence someone else wrote, quoted in a log line (a PAM module's
 * prompt or message): room for one line of a terminal. */
#define LOG_TEXT_MAX 128
/* The " tls=PROTOCOL/CIPHER" of pop3-maildir's login line, whole. */
#define LOG_TLS_MAX (sizeof " tls=/" + TLS_PROTOCOL_NAME_MAX + TLS_CIPHER_NAME_MAX)
/* How long a line waits for a syslog daemon whose queue is full before
 * it is dropped: glibc and musl would block the session for as long. */
#define LOG_SYSLOG_WAIT_MS 1000

/* ==================================================================
 * Part 2. Structure: what follows from the RFCs and the formats.
 *
 * Limits the protocols set (RFC 1939, 2449, 5034, 1035, 5321, 3164),
 * the checkpassword interface, and the names and sizes of what popkit
 * keeps on disk and writes to the log.  Changing one breaks a client,
 * another server or popkit's own files: these are not for tuning.
 * ================================================================== */

/* ---- POP3 protocol (RFC 1939, RFC 2449) ---- */

/* RFC 2449 §4: a command line is at most 255 octets including CRLF.  A
 * longer line is refused as soon as it passes them; its rest is dropped
 * as it comes, unstored, within one idle timeout (lib/io.h). */
#define POP3_CMD_MAX 255
/* RFC 2449 §4: each argument at most 40 octets. */
#define POP3_ARG_MAX 40
/* The most split arguments one command line may carry (lib/pop3cmd.h):
 * POP3's commands take two at most (TOP); a line with more is refused. */
#define POP3CMD_ARGS_MAX 4
/* RFC 2449 §4: a response line at most 512 octets including CRLF. */
#define POP3_RESP_MAX 512
/* RFC 5034 §4: a SASL response may be longer than a command line; PLAIN
 * with the 512-byte checkpassword limit fits in base64 of 3*512 bytes. */
#define SASL_LINE_MAX 2048
/* Room for one LOGIN-DELAY or EXPIRE argument list ("604800 USER",
 * "NEVER USER"). */
#define POP3CAPS_POLICY_MAX 16

/* ---- pop3-greeter (pop3d/greeter*.c) ---- */

/* RFC 1035 §3.1: a domain name is at most 255 octets.  The greeting's
 * and APOP's HOSTNAME, and the host in a dotlock's name, are held to it. */
#define DNS_NAME_MAX 255
/* The APOP challenge <pid.time@HOSTNAME>: the hostname at most
 * DNS_NAME_MAX, pid and time at most 20 digits each. */
#define GREETER_TIMESTAMP_MAX (DNS_NAME_MAX + 2 * 20 + 5)
/* RFC 1939 §7: an APOP digest is MD5 in 32 lowercase hex digits. */
#define APOP_DIGEST_LEN 32

/* ---- checkpassword interface (lib/cpw.h) ---- */

/* qmail's checkpassword: login\0password\0timestamp\0 is at most 512
 * bytes; more is misuse. */
#define CPW_MAX 512
/* The file descriptor stage 2 reads the credentials from. */
#define CPW_FD 3

/* ---- checkpassword programs and vuser (lib/userdb.h, lib/pwcheck.h,
 *      lib/privdrop.h) ---- */

/* RFC 5321 §4.5.3.1.3: an address in a path is at most 254 octets. */
#define USERDB_ADDRESS_MAX 254
/* One users-file line: a 254-octet address, a crypt hash (SHA-512 crypt
 * with rounds= is about 120), a login name, a home path and a hex APOP
 * secret all fit with room to spare; a longer line is malformed. */
#define USERDB_LINE_MAX 4096
/* A home directory path: Linux PATH_MAX is 4096, but a users-file line
 * must hold it with the other fields. */
#define USERDB_HOME_MAX 1024
/* A system login name: useradd allows 32. */
#define USERDB_OWNER_MAX 32
/* An APOP secret in octets (stored as twice as many hex digits).  The
 * greeter's APOP digest is fixed-size, the secret need not be huge. */
#define USERDB_APOP_SECRET_MAX 255
/* A password can never be longer than the checkpassword payload, so
 * vuser refuses to set one that no client could send. */
#define PWCHECK_PASSWORD_MAX (CPW_MAX - 3)
/* Room for any hash pwcheck_hash() makes (libcrypt's CRYPT_OUTPUT_SIZE). */
#define PWCHECK_HASH_MAX 384
/* Where Linux-PAM looks for a service's file (the second is the vendor
 * directory of distributions that use one): with neither, it silently
 * uses the service "other", so checkpassword-pam warns. */
#define CPW_PAM_DIR "/etc/pam.d"
#define CPW_PAM_VENDOR_DIR "/usr/lib/pam.d"

/* ---- TLS relay (lib/tls.h) ---- */

/* The protocol and cipher names the relay reports (OpenSSL's, as
 * SSL_PROTOCOL and SSL_CIPHER): "TLSv1.3", and the longest IANA suite
 * name OpenSSL gives ("TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
 * 47) with room; a longer verdict is not the relay's. */
#define TLS_PROTOCOL_NAME_MAX 16
#define TLS_CIPHER_NAME_MAX 64
/* A reason a TLS step failed (tls.h's err buffers): long enough for an
 * OpenSSL reason string with what popkit was doing. */
#define TLS_ERR_MAX 256

/* ---- popkit-lmtpd (deliver/lmtp*.c; RFC 2033, RFC 5321) ---- */

/* RFC 5321 §4.5.3.1.4: a command line is at most 512 octets with its
 * CRLF; a longer one gets 500 5.5.2 (lib/io.h drops its rest). */
#define LMTP_CMD_MAX 512
/* RFC 5321 §4.5.3.1.3: a path, "<" address ">", is at most 256 octets. */
#define LMTP_PATH_MAX 256

/* ---- mbox writer and maildir2mbox (lib/mbox.h) ---- */

/* Longest envelope sender put on a From_ line; longer ones are cut
 * (RFC 5321 4.5.3.1.3: a path is at most 256 octets). */
#define MBOX_SENDER_MAX 256
/* maildir2mbox's journal, in the Maildir's top directory (beside tmp/
 * new/ cur/, where no mail reader looks; the leading dot keeps it out of
 * Maildir++ folder lists).  pop3-maildir looks for it too: while it is
 * there the messages it names are in the middle of a move, and no POP3
 * session may serve or remove them (pop3-maildir(8), maildir2mbox(1)). */
#define MAILDIR2MBOX_JOURNAL ".maildir2mbox.journal"

/* ---- making a Maildir (lib/mdmake.h: maildirmake, vuser) ---- */

/* A Maildir path with "/tmp" after it: Linux's PATH_MAX, beyond which
 * no system call takes a path anyway. */
#define MDMAKE_PATH_MAX 4096

/* ---- maildirwatch (lib/rfc2047.h) ---- */

/* RFC 2978 §2.3: a charset name is at most 40 characters; with an
 * RFC 2231 language after "*" it fits 64.  A longer one is no charset
 * iconv knows, and the encoded word is shown as it came. */
#define RFC2047_CHARSET_MAX 64

/* ---- Maildir core and pop3-maildir (lib/maildir.h, lib/msgfmt.h) ---- */

/* RFC 1939 §7: a unique-id is 1 to 70 characters 0x21-0x7E. */
#define MAILDIR_UIDL_MAX 70
/* Largest ,S= or ,W= value believed (256 GiB): anything beyond is a
 * corrupt or hostile name.  A wire size (at most 2S+2) then fits the 40
 * bits struct maildir_msg keeps, and sums of 2 million stay in 64 bits. */
#define MAILDIR_SIZE_FIELD_MAX (1ULL << 38)
/* The session lock, a file at the top of the Maildir, held with flock(2)
 * so the kernel frees it when the holder dies. */
#define MAILDIR_LOCK_NAME "popkit-pop3.lock"
/* The size cache (maildir_cache.c): wire sizes of messages whose names
 * lack ,W=, so each is read once, not every session.  Top of the Maildir,
 * beside the lock. */
#define MAILDIR_CACHE_NAME "popkit-sizes"
/* A cache line is three numbers and a file name (at most NAME_MAX, 255);
 * anything longer is not ours and is skipped. */
#define MAILDIR_CACHE_LINE_MAX 320
/* The listing cache (maildir.c): a whole scan, reused while new/ and cur/
 * are unchanged, so a session on a big unchanged Maildir skips readdir. */
#define MAILDIR_LISTING_NAME "popkit-listing"
/* Both caches are input anyone who can write the Maildir shapes.  A size
 * they claim above this is checked against the file's size (fstat: the
 * wire size is at least the file's and at most twice it plus 2, msgfmt.h)
 * before a client is told it: a forged 10^12 for a 20-byte message is
 * refused at the cost of one stat for each rare big message, while the
 * many small ones stay free.  A claim below it that RETR finds wrong is
 * corrected there (the caches are dropped, trans_cmds.c). */
#define MAILDIR_CACHE_TRUST_MAX (64 * 1024)

/* ---- Maildir++ quota (lib/mdquota.h) ---- */

/* The Maildir++ specification's bound on maildirsize: a longer file has
 * grown from many appended lines and is rewritten from a scan (Courier,
 * Dovecot and Exim all use 5120).  It is also all that is ever read. */
#define MDQUOTA_FILE_MAX 5120
/* The specification's 15 minutes: sums that say "over quota" from a file
 * older than this are recalculated before mail is refused. */
#define MDQUOTA_STALE_SECONDS (15 * 60)
/* Longest line believed in maildirsize: two signed 19-digit numbers and
 * Courier's padding, or the definition "NS,MC" with 19 digits each, fit
 * with room to spare; a longer line makes the file corrupt. */
#define MDQUOTA_LINE_MAX 64
/* Largest number believed in maildirsize (10^18 octets is an exabyte):
 * beyond it the file is corrupt, and sums of the at most 5120/4 lines
 * stay far from int64 overflow. */
#define MDQUOTA_VALUE_MAX 1000000000000000000LL

/* ---- UIDLs another server left (lib/uidlmap.h, pop3-maildir --uidl-from) ---- */

/* Longest line believed in either file: a NAME_MAX file name, a UID, a
 * GUID, sizes and a 70-character UIDL fit with room to spare (Courier
 * itself reads lines of 2048).  A longer line makes the file bad. */
#define UIDLMAP_LINE_MAX 2048

/* ---- Logging (lib/log) ---- */

/* One log line, keys included: a datagram every syslog daemon takes whole
 * (RFC 3164 §4.1 allowed 1024; rsyslog and journald take more). */
#define LOG_LINE_MAX 1024
/* A file name quoted in a log line: NAME_MAX (255) and its NUL, so a
 * name is never cut; a path is cut to it. */
#define LOG_NAME_MAX 256
/* The session id: 9 bytes (4 of time, 2 of pid, 3 random), 12 base64url
 * characters and a NUL.  Unique enough to find one connection's lines:
 * two ids collide only for the same second, pid and 24 random bits. */
#define LOG_SESSION_BYTES 9
#define LOG_SESSION_SIZE 13
/* The local syslog socket (glibc's and musl's _PATH_LOG). */
#define LOG_SYSLOG_PATH "/dev/log"

#endif
