#include "pop3caps.h"

#include <string.h>

#include "params.h"

/* RFC 2449 capabilities.  USER: RFC 1939 USER/PASS; SASL: RFC 5034;
 * RESP-CODES and AUTH-RESP-CODE: the [IN-USE], [SYS/...] and [AUTH] codes
 * both stages send; PIPELINING: both stages keep pipelined commands. */
const char *const pop3caps_lines[] = {
    "USER",
    "SASL PLAIN LOGIN",   /* keep in step with lib/sasl.h */
    "TOP",
    "UIDL",
    "RESP-CODES",
    "AUTH-RESP-CODE",
    "PIPELINING",
    "IMPLEMENTATION " POPKIT_IMPLEMENTATION,
    NULL
};

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

size_t pop3caps_format(char *buf, size_t bufsz, unsigned flags)
{
    size_t len = 0;
    if (append(buf, bufsz, &len, "+OK Capability list follows\r\n") < 0)
        return 0;
    for (size_t i = 0; pop3caps_lines[i]; i++)
        if (append(buf, bufsz, &len, pop3caps_lines[i]) < 0 ||
            append(buf, bufsz, &len, "\r\n") < 0)
            return 0;
    if ((flags & POP3CAPS_STLS) && append(buf, bufsz, &len, "STLS\r\n") < 0)
        return 0;
    if (append(buf, bufsz, &len, ".\r\n") < 0)
        return 0;
    return len;
}
