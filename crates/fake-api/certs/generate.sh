#!/bin/sh
# TEST ONLY. Regenerates the fake API's TLS certificates (see README.md here):
#   sh crates/fake-api/certs/generate.sh
# A test CA, name-constrained to localhost and loopback addresses, signs a
# server certificate for localhost, 127.0.0.1 and ::1. Both are valid from
# 2000 (a clock that is behind still accepts them) for 100 years. The CA's
# private key is thrown away at the end: nothing else can ever be signed with
# it, so trusting ca.pem can vouch for nothing but this machine's loopback.
set -eu
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
start=20000101000000Z
end=21251231235959Z

# `openssl ca` is used (not `req -x509` / `x509 -req`) because only it can
# set the start date in OpenSSL 3.0.
cat >"$work/openssl.cnf" <<CNF
[ca]
default_ca = test_ca
[test_ca]
database = $work/index.txt
new_certs_dir = $work
serial = $work/serial
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
[anything]
organizationName = optional
commonName = supplied
[req]
distinguished_name = dn
prompt = no
[dn]
O = claude-rs tests
CN = claude-rs test CA - not for production
[ca_ext]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
nameConstraints = critical, permitted;DNS:localhost, permitted;IP:127.0.0.0/255.0.0.0, permitted;IP:0:0:0:0:0:0:0:1/FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF
[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:0:0:0:0:0:0:0:1
authorityKeyIdentifier = keyid
subjectKeyIdentifier = hash
CNF
: >"$work/index.txt"
openssl rand -hex 16 >"$work/serial"

openssl ecparam -name prime256v1 -genkey -noout -out "$work/ca.key"
openssl req -new -key "$work/ca.key" -config "$work/openssl.cnf" -out "$work/ca.csr"
openssl ca -batch -notext -selfsign -config "$work/openssl.cnf" -keyfile "$work/ca.key" \
    -startdate "$start" -enddate "$end" -extensions ca_ext \
    -in "$work/ca.csr" -out ca.pem

openssl ecparam -name prime256v1 -genkey -noout -out "$work/server.ec.key"
openssl pkcs8 -topk8 -nocrypt -in "$work/server.ec.key" -out server.key
openssl req -new -key server.key -subj "/O=claude-rs tests/CN=localhost" -out "$work/server.csr"
openssl ca -batch -notext -config "$work/openssl.cnf" -cert ca.pem -keyfile "$work/ca.key" \
    -startdate "$start" -enddate "$end" -extensions server_ext \
    -in "$work/server.csr" -out server.pem

openssl verify -CAfile ca.pem server.pem
