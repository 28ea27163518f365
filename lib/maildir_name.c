/* SPDX-License-Identifier: ISC */
/*
 * maildir_name.c -- Maildir file names: UNIQUE, UIDL, delivery time, the
 * ,S= and ,W= fields, the cur/ name, fresh unique names (maildir.h).
 * Pure functions but maildir_unique(); every input is hostile.
 */
#include "maildir.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "maildir_name.h"

/* ---- Names ---- */

size_t maildir_unique_len(const char *name)
{
    return strcspn(name, ":");
}

/* Where the ",KEY=VALUE" fields start: the first ',' of the base. */
static const char *fields_start(const char *name)
{
    return name + strcspn(name, ":,");
}

/* 128-bit FNV-1a: small, stable, no dependency; the input is a name the
 * delivery agent chose, so collision resistance against an attacker who
 * picks file names is not what it is for.  In 32-bit limbs (h[0] the
 * least significant), not unsigned __int128, which i386 and armhf lack:
 * the same digests everywhere (test_maildir checks known vectors).
 * The prime is 2^88 + 0x13b, so h * prime = h * 0x13b + (h << 88). */
static void fnv1a128(const char *p, size_t n, unsigned char out[16])
{
    uint32_t h[4] = { 0x6295c58dU, 0x62b82175U, 0x07bb0142U, 0x6c62272eU };
    for (size_t i = 0; i < n; i++) {
        h[0] ^= (unsigned char)p[i];
        uint32_t r[4];
        uint64_t carry = 0;
        for (int k = 0; k < 4; k++) {
            uint64_t t = (uint64_t)h[k] * 0x13bU + carry;
            r[k] = (uint32_t)t;
            carry = t >> 32;
        }
        /* h << 88: bits 0-7 of h[0] land at 88-95 (top of r[2]), bits
         * 8-39 of h fill r[3]; the carry out of r[2] goes into r[3]. */
        uint64_t t = (uint64_t)r[2] + (uint32_t)(h[0] << 24);
        r[2] = (uint32_t)t;
        r[3] += (uint32_t)(t >> 32) + ((h[0] >> 8) | (h[1] << 24));
        memcpy(h, r, sizeof h);
    }
    for (int i = 0; i < 16; i++)
        out[i] = (unsigned char)(h[3 - i / 4] >> (24 - 8 * (i % 4)));
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
    const char *p = fields_start(name);
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

int maildir_cur_name(const char *newname, char *out, size_t outsz)
{
    size_t base = strcspn(newname, ":");
    const char *info = newname[base] == ':' ? newname + base : ":2,";
    int n = snprintf(out, outsz, "%.*s%s", (int)base, newname, info);
    if (n < 0 || (size_t)n >= outsz || n > NAME_MAX)
        return -1;
    return 0;
}

/* Flags in ASCII order, the order Maildir readers expect (maildir(5));
 * every flag, known or not, is kept. */
static void sort_flags(char *f, size_t n)
{
    for (size_t i = 1; i < n; i++)
        for (size_t k = i; k > 0 && (unsigned char)f[k] <
                                    (unsigned char)f[k - 1]; k--) {
            char t = f[k];
            f[k] = f[k - 1];
            f[k - 1] = t;
        }
}

int maildir_flag_name(const char *name, char flag, char *out, size_t outsz)
{
    size_t base = strcspn(name, ":");
    const char *flags = "";
    if (name[base] == ':') {
        if (strncmp(name + base, ":2,", 3) != 0)
            return -1;   /* an info of another kind: not ours to edit */
        flags = name + base + 3;
    }
    /* The flags run to a ',' (an extension some readers add after them),
     * which with what follows stays as it is. */
    size_t nf = strcspn(flags, ",");
    if (memchr(flags, flag, nf))
        return 1;
    char f[NAME_MAX + 1];
    if (nf + 1 > sizeof f - 1)
        return -1;
    memcpy(f, flags, nf);
    f[nf] = flag;
    sort_flags(f, nf + 1);
    int n = snprintf(out, outsz, "%.*s:2,%.*s%s", (int)base, name,
                     (int)nf + 1, f, flags + nf);
    if (n < 0 || (size_t)n >= outsz || n > NAME_MAX)
        return -1;
    return 0;
}

/* ---- Writing ---- */

int maildir_unique_name(char *out, size_t outsz, long long sec, long usec,
                        long pid, unsigned long seq, const char *host)
{
    int n = snprintf(out, outsz, "%lld.M%06ldP%ldQ%lu.", sec, usec, pid, seq);
    if (n < 0 || (size_t)n >= outsz)
        return -1;
    size_t o = (size_t)n;
    for (; *host; host++) {
        /* '/' would be a path and ':' starts the info: the Maildir spec
         * writes them as octal escapes, readable and still unique. */
        const char *esc = *host == '/' ? "\\057" : *host == ':' ? "\\072"
                                                                : NULL;
        size_t k = esc ? 4 : 1;
        if (o + k >= outsz || o + k > NAME_MAX)
            return -1;
        if (esc)
            memcpy(out + o, esc, 4);
        else
            out[o] = *host;
        o += k;
    }
    out[o] = '\0';
    return 0;
}

int maildir_unique(char *out, size_t outsz)
{
    static unsigned long seq;
    struct timeval tv;
    char host[256];
    gettimeofday(&tv, NULL);
    if (gethostname(host, sizeof host) < 0)
        strcpy(host, "localhost");
    host[sizeof host - 1] = '\0';
    return maildir_unique_name(out, outsz, (long long)tv.tv_sec,
                               (long)tv.tv_usec, (long)getpid(), ++seq, host);
}

