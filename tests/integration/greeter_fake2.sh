#!/bin/bash
# SPDX-License-Identifier: ISC
# greeter_fake2.sh -- a fake stage 2 for the greeter tests (not a test).
# Records login|password|timestamp in $FAKE_LOG (a real one never would),
# exits 1 unless the password is "secret" (or, for APOP, the digest of
# the timestamp and "secret"); some logins pick other outcomes.
IFS= read -r -d '' login <&3; IFS= read -r -d '' pass <&3
IFS= read -r -d '' ts <&3
printf '%s|%s|%s\n' "$login" "$pass" "$ts" >>"${FAKE_LOG:-/dev/null}"
case $login in temp) exit 111;; crash) kill -SEGV $$;; misuse) exit 2;; esac
if [ -n "$ts" ]; then
    want=$(printf '%s%s' "$ts" secret | md5sum | cut -d' ' -f1)
    [ "$pass" = "$want" ] || exit 1
else
    [ "$pass" = secret ] || exit 1
fi
USER=$login; export USER
exec "$@"
