/* SPDX-License-Identifier: ISC */
#include "netenv.h"
#include "tap.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

/* A connected loopback pair; returns the server side. */
static int tcp_pair(int *client, int family)
{
    int l = socket(family, SOCK_STREAM, 0);
    struct sockaddr_storage ss;
    socklen_t len;
    memset(&ss, 0, sizeof ss);
    if (family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof *a;
    } else {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_loopback;
        len = sizeof *a;
    }
    if (l < 0 || bind(l, (struct sockaddr *)&ss, len) < 0 || listen(l, 1) < 0)
        return -1;
    getsockname(l, (struct sockaddr *)&ss, &len);
    *client = socket(family, SOCK_STREAM, 0);
    connect(*client, (struct sockaddr *)&ss, len);
    int s = accept(l, NULL, NULL);
    close(l);
    return s;
}

static void clear(void)
{
    unsetenv("TCPREMOTEIP");
    unsetenv("TCPREMOTEPORT");
    unsetenv("TCPLOCALIP");
    unsetenv("TCPLOCALPORT");
}

int main(void)
{
    int c, s = tcp_pair(&c, AF_INET);
    struct sockaddr_in me;
    socklen_t ml = sizeof me;
    getsockname(c, (struct sockaddr *)&me, &ml);
    char port[8];
    snprintf(port, sizeof port, "%u", ntohs(me.sin_port));

    clear();
    is_int(netenv_from_socket(s), 1, "IPv4 socket without tcpserver: variables set");
    is_str(getenv("TCPREMOTEIP"), "127.0.0.1", "TCPREMOTEIP is the peer");
    is_str(getenv("TCPREMOTEPORT"), port, "TCPREMOTEPORT is the peer's port");
    is_str(getenv("TCPLOCALIP"), "127.0.0.1", "TCPLOCALIP is ours");
    ok(atoi(getenv("TCPLOCALPORT")) > 0, "TCPLOCALPORT set");

    setenv("TCPREMOTEIP", "192.0.2.7", 1);
    is_int(netenv_from_socket(s), 0, "what tcpserver set is kept");
    is_str(getenv("TCPREMOTEIP"), "192.0.2.7", "TCPREMOTEIP untouched");
    close(s);
    close(c);

    clear();
    int p[2];
    pipe(p);
    is_int(netenv_from_socket(p[0]), 0, "a pipe sets nothing");
    ok(getenv("TCPREMOTEIP") == NULL, "and leaves TCPREMOTEIP unset");
    close(p[0]);
    close(p[1]);

    s = tcp_pair(&c, AF_INET6);
    if (s >= 0) {
        clear();
        is_int(netenv_from_socket(s), 1, "IPv6 socket: variables set");
        is_str(getenv("TCPREMOTEIP"), "::1", "IPv6 peer address");
        close(s);
        close(c);
    } else {
        printf("ok %d # SKIP no IPv6 loopback\nok %d # SKIP no IPv6 loopback\n", tap_n + 1, tap_n + 2);
        tap_n += 2;
    }
    return tap_done();
}
