#!/bin/bash
# SPDX-License-Identifier: ISC
# greeter_fake3.sh -- a fake stage 3 for the greeter tests (not a test):
# answers the login, then STAT, LIST, RETR 1, UIDL, QUIT; prints the TLS
# protocol in the welcome when the relay set SSL_PROTOCOL.
printf '+OK welcome %s%s\r\n' "$USER" "${SSL_PROTOCOL:+ over $SSL_PROTOCOL}"
while IFS= read -r line; do
  line=${line%$'\r'}
  case ${line^^} in
    STAT) printf '+OK 1 7\r\n';;
    LIST) printf '+OK 1 messages\r\n1 7\r\n.\r\n';;
    "LIST 1") printf '+OK 1 7\r\n';;
    "RETR 1") printf '+OK 7 octets\r\nhello\r\n.\r\n';;
    UIDL) printf '+OK\r\n1 uid1\r\n.\r\n';;
    QUIT) printf '+OK bye\r\n'; exit 0;;
    *) printf -- '-ERR stage3 %s\r\n' "$line";;
  esac
done
