/* SPDX-License-Identifier: ISC */
/*
 * maildirwatch -- a full-screen view of the new mail in $MAILDIR/new,
 * one line a message (delivery date, sender, subject), newest at the
 * bottom, updated as mail arrives.
 *
 * new/ is watched with inotify, or rescanned every
 * MAILDIRWATCH_POLL_INTERVAL seconds where inotify is missing.  A scan
 * reads the directory only: each message's header is read once, when it
 * first appears, and kept.  Header text is decoded (RFC 2047) into the
 * terminal's character set and freed of control characters before it is
 * drawn (lib/rfc2047.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>
#include <wctype.h>
#ifdef HAVE_SYS_INOTIFY_H
#include <sys/inotify.h>
#endif

#include <curses.h>

#include "exitcode.h"
#include "log.h"
#include "mailenv.h"
#include "params.h"
#include "rfc2047.h"
#include "usage.h"
#include "util.h"

struct entry {
    char *name;
    time_t when;
    uint32_t usec;
    char *from;      /* decoded, in the locale's charset, safe to draw */
    char *subject;
};

static struct entry **byname;     /* sorted by name, for lookups */
static struct entry **bytime;     /* display order: oldest first */
static size_t nents;
static const char *maildir;
static char *newdir;
static const char *charset;
static int inotify_fd = -1;
static size_t scroll_back;        /* entries hidden below; 0 follows the newest */
static volatile sig_atomic_t stop;

static const char usage[] =
    "usage: maildirwatch [-P] [MAILDIR]\n"
    "  show the new mail in MAILDIR (default $MAILDIR, else $HOME/Maildir/)\n"
    "  as it arrives; q quits, arrows and PgUp/PgDn scroll\n"
    "  -P  rescan every " USAGE_NUM(MAILDIRWATCH_POLL_INTERVAL)
    " s instead of using inotify\n";

/* ---- Reading one message's header ---- */

/* The value of header field `name` in hdr (unfolded into out). */
static int header_field(const char *hdr, size_t len, const char *name, char *out,
                        size_t outsz)
{
    size_t nlen = strlen(name), i = 0;
    while (i < len) {
        const char *line = hdr + i;
        const char *nl = memchr(line, '\n', len - i);
        size_t llen = nl ? (size_t)(nl - line) : len - i;
        if (llen == 0 || (llen == 1 && line[0] == '\r'))
            break;
        if (llen > nlen && strncasecmp(line, name, nlen) == 0 && line[nlen] == ':') {
            size_t o = 0, j = i + nlen + 1;
            for (;;) {
                while (j < len && hdr[j] != '\n' && o + 1 < outsz)
                    out[o++] = hdr[j++];
                while (j < len && hdr[j] != '\n')
                    j++;
                /* a continuation line starts with white space */
                if (j + 1 < len && (hdr[j + 1] == ' ' || hdr[j + 1] == '\t')) {
                    j++;
                    continue;
                }
                break;
            }
            out[o] = '\0';
            return 0;
        }
        i += llen + 1;
    }
    return -1;
}

static char *decode_field(const char *raw)
{
    char out[MAILDIRWATCH_FIELD_MAX];
    while (*raw == ' ' || *raw == '\t')
        raw++;
    rfc2047_decode(raw, strlen(raw), charset, out, sizeof out);
    size_t n = strlen(out);
    while (n > 0 && out[n - 1] == ' ')
        out[--n] = '\0';
    return strdup(out);
}

/* Who it is from, as a person reads it: the display name when there is
 * one, else the address. */
static char *sender_of(const char *value)
{
    char *d = decode_field(value);
    if (!d)
        return NULL;
    char *lt = strrchr(d, '<');
    if (lt && lt > d) {
        char *e = lt;
        while (e > d && e[-1] == ' ')
            e--;
        *e = '\0';
        char *s = d;
        size_t n = strlen(s);
        if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
            s[n - 1] = '\0';
            s++;
        }
        if (*s) {
            memmove(d, s, strlen(s) + 1);
            return d;
        }
        *e = ' ';
    }
    if (lt) {
        char *gt = strchr(lt, '>');
        if (gt)
            *gt = '\0';
        memmove(d, lt + 1, strlen(lt + 1) + 1);
    }
    return d;
}

static void read_header(struct entry *e)
{
    static char buf[MAILDIRWATCH_HEADER_MAX];
    char value[MAILDIRWATCH_FIELD_MAX * 4];
    size_t len = 0;
    int fd = open(e->name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd >= 0) {
        /* read until the end of the header or the limit, no further */
        while (len < sizeof buf) {
            ssize_t n = read(fd, buf + len, sizeof buf - len);
            if (n <= 0)
                break;
            size_t from = len > 3 ? len - 3 : 0;
            len += (size_t)n;
            if (memmem(buf + from, len - from, "\n\n", 2) ||
                memmem(buf + from, len - from, "\n\r\n", 3))
                break;
        }
        close(fd);
    }
    e->from = header_field(buf, len, "From", value, sizeof value) == 0
              ? sender_of(value) : strdup("");
    e->subject = header_field(buf, len, "Subject", value, sizeof value) == 0
                 ? decode_field(value) : strdup("(no subject)");
    if (!e->from || !e->subject)
        log_die(EXIT_TEMP, "out of memory");
}

/* Delivery time: the number the name starts with, else the mtime. */
static void entry_time(struct entry *e)
{
    const char *p = e->name;
    uint64_t t = 0;
    int digits = 0;
    while (*p >= '0' && *p <= '9' && digits < 11) {
        t = t * 10 + (uint64_t)(*p++ - '0');
        digits++;
    }
    e->usec = 0;
    if (digits > 0 && digits <= 10 && *p == '.') {
        e->when = (time_t)t;
        if (p[1] == 'M')
            e->usec = (uint32_t)strtoul(p + 2, NULL, 10);
        return;
    }
    struct stat st;
    e->when = stat(e->name, &st) == 0 ? st.st_mtime : 0;
}

/* ---- Scanning new/ ---- */

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_entry_name(const void *a, const void *b)
{
    return strcmp((*(struct entry *const *)a)->name, (*(struct entry *const *)b)->name);
}

static int cmp_entry_time(const void *a, const void *b)
{
    const struct entry *x = *(struct entry *const *)a, *y = *(struct entry *const *)b;
    if (x->when != y->when)
        return x->when < y->when ? -1 : 1;
    if (x->usec != y->usec)
        return x->usec < y->usec ? -1 : 1;
    return strcmp(x->name, y->name);
}

static void free_entry(struct entry *e)
{
    free(e->name);
    free(e->from);
    free(e->subject);
    free(e);
}

static char **list_names(size_t *count)
{
    DIR *d = opendir(".");
    size_t n = 0, cap = 64;
    char **names = malloc(cap * sizeof *names);
    if (!d || !names)
        log_die(EXIT_TEMP, "cannot read %s: %s", newdir, strerror(errno));
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap *= 2;
            names = realloc(names, cap * sizeof *names);
            if (!names)
                log_die(EXIT_TEMP, "out of memory");
        }
        if (!(names[n++] = strdup(de->d_name)))
            log_die(EXIT_TEMP, "out of memory");
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_name);
    *count = n;
    return names;
}

/* Bring the entries in line with new/: a merge of two sorted lists, so
 * known messages are kept (their headers are not read again).  Returns
 * whether anything changed. */
static int rescan(void)
{
    size_t n, i = 0, j = 0, k = 0;
    char **names = list_names(&n);
    struct entry **merged = malloc((n + 1) * sizeof *merged);
    if (!merged)
        log_die(EXIT_TEMP, "out of memory");
    int changed = 0;
    while (i < nents || j < n) {
        int c = i == nents ? 1 : j == n ? -1 : strcmp(byname[i]->name, names[j]);
        if (c < 0) {                       /* gone: read or removed */
            free_entry(byname[i++]);
            changed = 1;
        } else if (c == 0) {
            merged[k++] = byname[i++];
            free(names[j++]);
        } else {                           /* new mail */
            struct entry *e = calloc(1, sizeof *e);
            if (!e)
                log_die(EXIT_TEMP, "out of memory");
            e->name = names[j++];
            entry_time(e);
            read_header(e);
            merged[k++] = e;
            changed = 1;
        }
    }
    free(names);
    free(byname);
    free(bytime);
    byname = merged;
    nents = k;
    bytime = malloc((k + 1) * sizeof *bytime);
    if (!bytime)
        log_die(EXIT_TEMP, "out of memory");
    memcpy(bytime, byname, k * sizeof *bytime);
    qsort(byname, k, sizeof *byname, cmp_entry_name);
    qsort(bytime, k, sizeof *bytime, cmp_entry_time);
    return changed;
}

/* ---- Drawing ---- */

/* Draw s (locale charset) at the cursor in at most width columns;
 * returns the columns used.  Anything not printable becomes '?'. */
static int draw_text(const char *s, int width)
{
    mbstate_t st;
    memset(&st, 0, sizeof st);
    int used = 0;
    size_t len = strlen(s);
    while (len > 0 && used < width) {
        wchar_t wc;
        size_t l = mbrtowc(&wc, s, len, &st);
        if (l == 0)
            break;
        if (l == (size_t)-1 || l == (size_t)-2) {
            memset(&st, 0, sizeof st);
            wc = L'?';
            l = 1;
        }
        int w = iswprint((wint_t)wc) ? wcwidth(wc) : -1;
        if (w < 0) {
            wc = L'?';
            w = 1;
        }
        if (used + w > width)
            break;
        addnwstr(&wc, 1);
        used += w;
        s += l;
        len -= l;
    }
    return used;
}

/* Columns: the date (12 wide), the sender, the subject to the edge. */
static void draw_row(int y, const struct entry *e)
{
    char date[32];
    struct tm tm;
    int from_x = 14, from_w = COLS / 4 < 24 ? COLS / 4 : 24;
    int subj_x = from_x + from_w + 2;
    if (!localtime_r(&e->when, &tm) || !strftime(date, sizeof date, "%b %e %H:%M", &tm))
        snprintf(date, sizeof date, "?");
    move(y, 0);
    draw_text(date, COLS < 12 ? COLS : 12);
    if (from_x < COLS) {
        move(y, from_x);
        draw_text(e->from, from_w);
    }
    if (subj_x < COLS) {
        move(y, subj_x);
        draw_text(e->subject, COLS - subj_x);
    }
}

static void draw(void)
{
    char status[512];
    int rows = LINES - 1;
    erase();
    if (rows < 1 || COLS < 1) {
        refresh();
        return;
    }
    if (scroll_back + (size_t)rows > nents)
        scroll_back = nents > (size_t)rows ? nents - (size_t)rows : 0;
    snprintf(status, sizeof status, " %s: %zu new message%s%s%s   q quits ",
             maildir, nents, nents == 1 ? "" : "s", inotify_fd >= 0 ? "" : " (polling)",
             scroll_back ? "   [scrolled back]" : "");
    attron(A_REVERSE);
    move(0, 0);
    int used = draw_text(status, COLS);
    for (; used < COLS; used++)
        addch(' ');
    attroff(A_REVERSE);
    if (nents == 0) {
        mvaddstr(1, 0, "(no new mail)");
    } else {
        size_t end = nents - scroll_back;
        size_t start = end > (size_t)rows ? end - (size_t)rows : 0;
        /* newest at the bottom: fill from the last row up */
        int y = rows - (int)(end - start) + 1;
        for (size_t i = start; i < end; i++, y++)
            draw_row(y, bytime[i]);
    }
    move(LINES - 1, COLS - 1);
    refresh();
}

/* ---- Watching ---- */

static void watch_start(int force_poll)
{
#ifdef HAVE_SYS_INOTIFY_H
    if (force_poll)
        return;
    inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (inotify_fd < 0)
        return;
    if (inotify_add_watch(inotify_fd, ".", IN_CREATE | IN_MOVED_TO | IN_DELETE |
                          IN_MOVED_FROM | IN_DELETE_SELF | IN_MOVE_SELF) < 0) {
        close(inotify_fd);
        inotify_fd = -1;
    }
#else
    (void)force_poll;
#endif
}

/* Drain the events; 1 when new/ itself went away (fall back to polling). */
static int watch_drain(void)
{
#ifdef HAVE_SYS_INOTIFY_H
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    int gone = 0;
    for (;;) {
        ssize_t n = read(inotify_fd, buf, sizeof buf);
        if (n <= 0)
            break;
        for (char *p = buf; p < buf + n; ) {
            struct inotify_event *ev = (struct inotify_event *)p;
            if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF))
                gone = 1;
            p += sizeof *ev + ev->len;
        }
    }
    return gone;
#else
    return 0;
#endif
}

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

/* Returns 1 to quit. */
static int handle_keys(int *redraw)
{
    int ch;
    int page = LINES > 2 ? LINES - 2 : 1;
    while ((ch = getch()) != ERR) {
        switch (ch) {
        case 'q': case 'Q':
            return 1;
        case KEY_RESIZE: case 12:            /* ^L */
            clearok(curscr, TRUE);
            break;
        case KEY_UP: case 'k':
            scroll_back++;
            break;
        case KEY_DOWN: case 'j':
            if (scroll_back > 0)
                scroll_back--;
            break;
        case KEY_PPAGE: case 'b':
            scroll_back += (size_t)page;
            break;
        case KEY_NPAGE: case ' ':
            scroll_back = scroll_back > (size_t)page ? scroll_back - (size_t)page : 0;
            break;
        case KEY_END: case 'G':
            scroll_back = 0;
            break;
        default:
            continue;
        }
        *redraw = 1;
    }
    return 0;
}

/* The signals that must wake the loop (resize, stop) are blocked except
 * inside ppoll(): one arriving while we draw would otherwise be noted by
 * its handler and then sleep unseen in poll() until the next key. */
static sigset_t loop_waitmask;

static void block_loop_signals(void)
{
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGWINCH);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, &loop_waitmask);
    sigdelset(&loop_waitmask, SIGWINCH);
    sigdelset(&loop_waitmask, SIGTERM);
    sigdelset(&loop_waitmask, SIGHUP);
    sigdelset(&loop_waitmask, SIGINT);
}

static void watch_loop(void)
{
    int redraw = 1;
    time_t last_scan = time(NULL);
    for (;;) {
        if (redraw) {
            draw();
            redraw = 0;
        }
        struct pollfd pfd[2] = { { 0, POLLIN, 0 }, { inotify_fd, POLLIN, 0 } };
        struct timespec interval = { MAILDIRWATCH_POLL_INTERVAL, 0 };
        int r = ppoll(pfd, inotify_fd >= 0 ? 2 : 1,
                      inotify_fd >= 0 ? NULL : &interval, &loop_waitmask);
        if (stop)
            return;
        if (r < 0 && errno != EINTR)
            return;
        /* a signal (SIGWINCH) or a key: getch reports KEY_RESIZE too */
        if ((r < 0 || (pfd[0].revents & POLLIN)) && handle_keys(&redraw))
            return;
        if (r > 0 && (pfd[0].revents & (POLLHUP | POLLERR | POLLNVAL)))
            return;                          /* the terminal went away */
        if (inotify_fd >= 0 && r > 0 && pfd[1].revents) {
            if (watch_drain()) {
                close(inotify_fd);
                inotify_fd = -1;
            }
            redraw |= rescan();
        } else if (inotify_fd < 0 && time(NULL) != last_scan) {
            redraw |= rescan();
            last_scan = time(NULL);
        }
    }
}

int main(int argc, char **argv)
{
    int force_poll = 0, opt;
    char *own = NULL;

    setlocale(LC_ALL, "");
    log_init("maildirwatch");
    usage_std(argc, argv, "maildirwatch", usage);
    opterr = 0;
    while ((opt = getopt(argc, argv, "P")) != -1) {
        if (opt != 'P')
            usage_getopt("maildirwatch", opt, argv, usage);
        force_poll = 1;
    }
    if (argc - optind > 1)
        usage_misuse("maildirwatch", usage, "one MAILDIR only");
    if (optind < argc) {
        maildir = argv[optind];
    } else if ((maildir = mailenv_maildir(&own)) == NULL) {
        if (errno == ENOMEM)
            log_die(EXIT_TEMP, "out of memory");
        log_die(EXIT_PERM, "neither MAILDIR nor HOME is set");
    }
    size_t n = strlen(maildir) + sizeof "/new";
    newdir = malloc(n);
    if (!newdir)
        log_die(EXIT_TEMP, "out of memory");
    snprintf(newdir, n, "%s/new", maildir);
    /* working in new/ keeps every open and stat short and relative */
    if (chdir(newdir) < 0)
        log_die(errno == ENOENT || errno == EACCES || errno == ENOTDIR ? EXIT_PERM : EXIT_TEMP,
                "cannot open %s: %s", newdir, strerror(errno));
    charset = nl_langinfo(CODESET);

    watch_start(force_poll);
    rescan();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    if (!initscr())
        log_die(EXIT_TEMP, "cannot start the terminal");
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    curs_set(0);
    block_loop_signals();   /* after initscr: ncurses owns SIGWINCH's handler */
    watch_loop();
    endwin();

    for (size_t i = 0; i < nents; i++)
        free_entry(byname[i]);
    free(byname);
    free(bytime);
    free(newdir);
    free(own);
    if (inotify_fd >= 0)
        close(inotify_fd);
    return 0;
}
