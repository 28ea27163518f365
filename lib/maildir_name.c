/*
 * maildir_name.c -- Maildir file names: UNIQUE, UIDL, delivery time, the
 * ,S= and ,W= fields, the cur/ name, fresh unique names (maildir.h).
 * Pure functions but maildir_unique(); every input is hostile.
 */
#define _GNU_SOURCE
#include "maildir.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "maildir_int.h"

/* ---- Names ---- */

size_t maildir_unique_len(const char *name)
{
    return strcspn(name, ":,");
}

/* 128-bit FNV-1a: small, stable, no dependency; the input is a name the
 * delivery agent chose, so collision resistance against an attacker who
 * picks file names is not what it is for. */
static void fnv1a128(const char *p, size_t n, unsigned char out[16])
{
    unsigned __int128 h = ((unsigned __int128)0x6c62272e07bb0142ULL << 64)
                          | 0x62b821756295c58dULL;
    const unsigned __int128 prime = ((unsigned __int128)1 << 88) + 0x13b;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= prime;
    }
    for (int i = 15; i >= 0; i--) {
        out[i] = (unsigned char)h;
        h >>= 8;
    }
}

int maildir_name_keycmp(const char *a, const char *b)
{
    size_t la = strcspn(a, ":"), lb = strcspn(b, ":");
    int r = memcmp(a, b, la < lb ? la : lb);
    if (r != 0)
        return r;
    return la < lb ? -1 : la > lb ? 1 : 0;
}

size_t maildir_uidl(const char *name, char *out)
{
    size_t n = maildir_unique_len(name);
    int plain = n >= 1 && n <= MAILDIR_UIDL_MAX;
    for (size_t i = 0; plain && i < n; i++)
        if ((unsigned char)name[i] < 0x21 || (unsigned char)name[i] > 0x7e)
            plain = 0;
    if (plain) {
        memcpy(out, name, n);
        out[n] = '\0';
        return n;
    }
    static const char hex[] = "0123456789abcdef";
    unsigned char d[16];
    fnv1a128(name, n, d);
    for (int i = 0; i < 16; i++) {
        out[2 * i] = hex[d[i] >> 4];
        out[2 * i + 1] = hex[d[i] & 15];
    }
    out[32] = '\0';
    return 32;
}

/* Parse 1..maxdigits decimal digits at s, stopping at the first
 * non-digit (returned through *end).  -1 when none or too many. */
int maildir_parse_digits(const char *s, int maxdigits, uint64_t *val,
                        const char **end)
{
    uint64_t v = 0;
    int i;
    for (i = 0; s[i] >= '0' && s[i] <= '9'; i++) {
        if (i >= maxdigits)
            return -1;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (i == 0)
        return -1;
    *val = v;
    *end = s + i;
    return 0;
}

int maildir_name_time(const char *name, uint32_t *sec, uint32_t *usec)
{
    uint64_t t, u = 0;
    const char *p;
    if (maildir_parse_digits(name, 10, &t, &p) < 0 || *p != '.' || t > UINT32_MAX)
        return -1;
    *sec = (uint32_t)t;
    /* The second part of a modern name: M<usec>P<pid>... (qmail, Dovecot,
     * Courier).  An old "SECONDS.PID.HOST" name has no M: usec 0. */
    for (p++; *p && *p != '.' && *p != ':' && *p != ','; p++) {
        if (*p == 'M') {
            uint64_t v;
            const char *e;
            if (maildir_parse_digits(p + 1, 6, &v, &e) == 0)
                u = v;
            break;
        }
    }
    *usec = (uint32_t)u;
    return 0;
}

int maildir_name_field(const char *name, char key, uint64_t *val)
{
    const char *end = name + strcspn(name, ":");
    const char *p = name + maildir_unique_len(name);
    int found = 0;
    uint64_t v = 0;
    while (p < end && *p == ',') {
        const char *field = p + 1;
        const char *next = memchr(field, ',', (size_t)(end - field));
        if (!next)
            next = end;
        if (next - field >= 2 && field[0] == key && field[1] == '=') {
            const char *e;
            if (found || maildir_parse_digits(field + 2, 20, &v, &e) < 0 ||
                e != next || v > MAILDIR_SIZE_FIELD_MAX)
                return -1;
            found = 1;
        }
        p = next;
    }
    if (!found)
        return -1;
    *val = v;
    return 0;
}

uint64_t maildir_name_wire_size(const char *name)
{
    uint64_t w, s;
    if (maildir_name_field(name, 'W', &w) < 0)
        return MAILDIR_SIZE_UNKNOWN;
    /* Line-end conversion only adds: W >= S; at most a CR for every byte
     * (all LFs) and a final CRLF: W <= 2S + 2. */
    if (maildir_name_field(name, 'S', &s) == 0 && (w < s || w > 2 * s + 2))
        return MAILDIR_SIZE_UNKNOWN;
    return w;
}

int maildir_cur_name(const char *newname, uint64_t wire, char *out,
                     size_t outsz)
{
    size_t base = strcspn(newname, ":");
    const char *info = newname[base] == ':' ? newname + base : ":2,";
    char w[32] = "";
    uint64_t old;
    if (wire != MAILDIR_SIZE_UNKNOWN &&
        maildir_name_field(newname, 'W', &old) < 0 &&
        strstr(newname, ",W=") == NULL)
        snprintf(w, sizeof w, ",W=%llu", (unsigned long long)wire);
    int n = snprintf(out, outsz, "%.*s%s%s", (int)base, newname, w, info);
    if (n < 0 || (size_t)n >= outsz || n > NAME_MAX)
        return -1;
    return 0;
}


/* ---- Writing ---- */

int maildir_unique(char *out, size_t outsz)
{
    static unsigned long seq;
    struct timeval tv;
    char host[256], safe[3 * 256 + 1];
    gettimeofday(&tv, NULL);
    if (gethostname(host, sizeof host) < 0)
        strcpy(host, "localhost");
    host[sizeof host - 1] = '\0';
    size_t o = 0;
    for (size_t i = 0; host[i]; i++) {
        if (host[i] == '/' || host[i] == ':') {
            o += (size_t)sprintf(safe + o, "\\%03o", (unsigned char)host[i]);
        } else {
            safe[o++] = host[i];
        }
    }
    safe[o] = '\0';
    int n = snprintf(out, outsz, "%lld.M%06ldP%ldQ%lu.%s",
                     (long long)tv.tv_sec, (long)tv.tv_usec, (long)getpid(),
                     ++seq, safe);
    return n < 0 || (size_t)n >= outsz ? -1 : 0;
}

