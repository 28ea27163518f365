/* Unit tests for lib/pop3caps: the one CAPA list both stages send. */
#include <string.h>

#include "pop3caps.h"
#include "tap.h"

int main(void)
{
    char buf[POP3CAPS_MAX];
    size_t n = pop3caps_format(buf, sizeof buf, 0);
    ok(n > 0 && n == strlen(buf), "CAPA answer fits POP3CAPS_MAX");
    ok(strncmp(buf, "+OK", 3) == 0, "starts +OK");
    ok(n >= 5 && strcmp(buf + n - 5, "\r\n.\r\n") == 0, "ends with a dot line");
    const char *want[] = { "\r\nUSER\r\n", "\r\nSASL PLAIN LOGIN\r\n",
                           "\r\nTOP\r\n", "\r\nUIDL\r\n",
                           "\r\nRESP-CODES\r\n", "\r\nAUTH-RESP-CODE\r\n",
                           "\r\nPIPELINING\r\n",
                           "\r\nIMPLEMENTATION popkit\r\n" };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        ok(strstr(buf, want[i]) != NULL, "lists %.*s", (int)strlen(want[i]) - 4,
           want[i] + 2);
    ok(strstr(buf, "STLS") == NULL, "no STLS unless asked");
    n = pop3caps_format(buf, sizeof buf, POP3CAPS_STLS);
    ok(n > 0 && strstr(buf, "\r\nSTLS\r\n") != NULL, "STLS when asked");
    ok(pop3caps_format(buf, 20, 0) == 0, "too small a buffer gives 0");
    int lines = 0;
    for (size_t i = 0; pop3caps_lines[i]; i++)
        lines++;
    is_int(lines, 8, "eight capabilities in the table");
    return tap_done();
}
