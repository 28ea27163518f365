/* SPDX-License-Identifier: ISC */
#include "pop3caps.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sasl.h"
#include "util.h"

/* The capabilities of both states.  RESP-CODES and AUTH-RESP-CODE: the
 * [IN-USE], [SYS/...] and [AUTH] codes both stages send; PIPELINING:
 * both stages keep pipelined commands; UTF8 USER: RFC 6856, UTF-8 user
 * names and passwords go to stage 2 as they came and messages are served
 * as stored. */
static const char *const caps_both[] = {
    "TOP",
    "UIDL",
    "RESP-CODES",
    "AUTH-RESP-CODE",
    "PIPELINING",
    "UTF8 USER",
    NULL
};


/* "N" or, with allow_user, "N,USER" as "N" or "N USER" in out: N from
 * digits (0 to max) or, when never, the word NEVER.  0 or -1. */
static int set_arg(char *out, const char *arg, int allow_user, uint32_t max,
                   int never)
{
    const char *comma = strchr(arg, ',');
    size_t n = comma ? (size_t)(comma - arg) : strlen(arg);
    uint32_t v;
    if (comma && (!allow_user || strcmp(comma + 1, "USER") != 0))
        return -1;
    if (never && n == 5 && memcmp(arg, "NEVER", 5) == 0)
        v = UINT32_MAX;
    else if (parse_u32n(arg, n, &v) < 0 || v > max)
        return -1;
    char num[11];   /* "NEVER" or up to 10 digits: with " USER", fits the policy */
    if (v == UINT32_MAX)
        strcpy(num, "NEVER");
    else
        snprintf(num, sizeof num, "%u", v);
    snprintf(out, POP3CAPS_POLICY_MAX, "%s%s", num, comma ? " USER" : "");
    return 0;
}

int pop3caps_set_login_delay(struct pop3caps_policy *p, const char *arg,
                             int allow_user)
{
    return set_arg(p->login_delay, arg, allow_user, POP3_LOGIN_DELAY_MAX, 0);
}

int pop3caps_set_expire(struct pop3caps_policy *p, const char *arg,
                        int allow_user)
{
    return set_arg(p->expire, arg, allow_user, POP3_EXPIRE_DAYS_MAX, 1);
}

static int append(char *buf, size_t bufsz, size_t *len, const char *s)
{
    size_t n = strlen(s);
    if (*len + n + 1 > bufsz)
        return -1;
    memcpy(buf + *len, s, n);
    *len += n;
    buf[*len] = '\0';
    return 0;
}

static int append_line(char *buf, size_t bufsz, size_t *len,
                       const char *tag, const char *arg)
{
    if (append(buf, bufsz, len, tag) < 0)
        return -1;
    if (arg && (append(buf, bufsz, len, " ") < 0 ||
                append(buf, bufsz, len, arg) < 0))
        return -1;
    return append(buf, bufsz, len, "\r\n");
}

static int append_all(char *buf, size_t bufsz, size_t *len,
                      const char *const *caps)
{
    for (size_t i = 0; caps[i]; i++)
        if (append_line(buf, bufsz, len, caps[i], NULL) < 0)
            return -1;
    return 0;
}

/* Before login while login is allowed: RFC 1939 USER/PASS, and RFC 5034
 * SASL with the mechanisms of lib/sasl's table, the ones AUTH takes. */
static int append_login(char *buf, size_t bufsz, size_t *len)
{
    if (append_line(buf, bufsz, len, "USER", NULL) < 0 ||
        append(buf, bufsz, len, "SASL") < 0)
        return -1;
    for (const struct sasl_mechanism *m = sasl_mechanisms; m->name; m++)
        if (append(buf, bufsz, len, " ") < 0 ||
            append(buf, bufsz, len, m->name) < 0)
            return -1;
    return append(buf, bufsz, len, "\r\n");
}

size_t pop3caps_format(char *buf, size_t bufsz, unsigned flags,
                       const struct pop3caps_policy *p)
{
    size_t len = 0;
    int bad = append(buf, bufsz, &len, "+OK Capability list follows\r\n");
    if (!bad && (flags & POP3CAPS_LOGIN))
        bad = append_login(buf, bufsz, &len);
    if (!bad)
        bad = append_all(buf, bufsz, &len, caps_both);
    if (!bad && p && p->login_delay[0])
        bad = append_line(buf, bufsz, &len, "LOGIN-DELAY", p->login_delay);
    if (!bad && p && p->expire[0])
        bad = append_line(buf, bufsz, &len, "EXPIRE", p->expire);
    if (!bad)
        bad = append_line(buf, bufsz, &len,
                          "IMPLEMENTATION " POPKIT_IMPLEMENTATION, NULL);
    if (!bad && (flags & POP3CAPS_STLS))
        bad = append_line(buf, bufsz, &len, "STLS", NULL);
    if (!bad)
        bad = append(buf, bufsz, &len, ".\r\n");
    return bad ? 0 : len;
}

unsigned pop3caps_auth_flags(int login_allowed, int tls_available,
                             int tls_active)
{
    unsigned flags = 0;
    if (login_allowed)
        flags |= POP3CAPS_LOGIN;
    if (tls_available && !tls_active)
        flags |= POP3CAPS_STLS;
    return flags;
}

int pop3caps_offers(unsigned flags, const char *tag)
{
    char buf[POP3CAPS_MAX];
    size_t tlen = strlen(tag);
    if (pop3caps_format(buf, sizeof buf, flags, NULL) == 0 || tlen == 0)
        return 0;
    /* After each CRLF up to the dot line: "TAG[ ARGS]\r\n" (the first
     * line, +OK, is passed over). */
    for (const char *l = buf; (l = strstr(l, "\r\n")) != NULL && l[2] != '.';) {
        l += 2;
        if (strncasecmp(l, tag, tlen) == 0 &&
            (l[tlen] == ' ' || l[tlen] == '\r'))
            return 1;
    }
    return 0;
}
