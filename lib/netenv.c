/* SPDX-License-Identifier: ISC */
#include "netenv.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Write the address and port of sa into ip/port; 0, or -1 when it is not
 * an internet address. */
static int addr_text(const struct sockaddr_storage *sa, char *ip, size_t iplen,
                     char *port, size_t portlen)
{
    if (sa->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &a->sin_addr, ip, (socklen_t)iplen);
        snprintf(port, portlen, "%u", ntohs(a->sin_port));
        return 0;
    }
    if (sa->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;
        if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr))
            inet_ntop(AF_INET, &a->sin6_addr.s6_addr[12], ip, (socklen_t)iplen);
        else
            inet_ntop(AF_INET6, &a->sin6_addr, ip, (socklen_t)iplen);
        snprintf(port, portlen, "%u", ntohs(a->sin6_port));
        return 0;
    }
    return -1;
}

int netenv_from_socket(int fd)
{
    struct sockaddr_storage peer, self;
    socklen_t plen = sizeof peer, slen = sizeof self;
    char rip[INET6_ADDRSTRLEN], rport[8], lip[INET6_ADDRSTRLEN], lport[8];

    if (getenv("TCPREMOTEIP"))
        return 0;
    if (getpeername(fd, (struct sockaddr *)&peer, &plen) < 0 ||
        getsockname(fd, (struct sockaddr *)&self, &slen) < 0)
        return 0;
    if (addr_text(&peer, rip, sizeof rip, rport, sizeof rport) < 0 ||
        addr_text(&self, lip, sizeof lip, lport, sizeof lport) < 0)
        return 0;
    setenv("TCPREMOTEIP", rip, 1);
    setenv("TCPREMOTEPORT", rport, 1);
    setenv("TCPLOCALIP", lip, 1);
    setenv("TCPLOCALPORT", lport, 1);
    return 1;
}
