#!/bin/sh
# SPDX-License-Identifier: ISC
# mkcert.sh DIR -- a throw-away certificate authority and a server
# certificate it signed, for the TLS tests, made fresh each run so no key
# is ever shipped.  Writes DIR/ca.pem (what clients trust), DIR/ca.key,
# DIR/server.pem (the server certificate, then the CA: a chain as an
# administrator would install it) and DIR/server.key (mode 600).  The
# server certificate names localhost and 127.0.0.1, so clients verify the
# host name too.
set -eu
d=${1:?usage: mkcert.sh DIR}
mkdir -p "$d"
umask 077
days=2
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$d/ca.key" -out "$d/ca.pem" -days "$days" \
    -subj "/CN=popkit test CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$d/server.key" -out "$d/server.csr" \
    -subj "/CN=localhost" 2>/dev/null
printf '%s\n' "basicConstraints=CA:FALSE" \
    "keyUsage=critical,digitalSignature" \
    "extendedKeyUsage=serverAuth" \
    "subjectAltName=DNS:localhost,IP:127.0.0.1" >"$d/server.ext"
openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
    -CAcreateserial -days "$days" -extfile "$d/server.ext" \
    -out "$d/server.crt" 2>/dev/null
cat "$d/server.crt" "$d/ca.pem" >"$d/server.pem"
rm -f "$d/server.csr" "$d/server.ext" "$d/ca.srl"
chmod 644 "$d/ca.pem" "$d/server.pem" "$d/server.crt"
