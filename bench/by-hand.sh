#!/usr/bin/env bash
# The alternative to mtlspec: the core negative cases done the way people do
# them by hand today, with openssl to mint each certificate and curl to probe.
#
#   bench/by-hand.sh https://127.0.0.1:PORT/hello CA_CERT CA_KEY [SPIFFE_ID]
#
# Against `mtlspec serve http2 --pki-dir DIR` (CA_CERT=DIR/ca.pem, CA_KEY=DIR/ca.key).
# Cases (the same as `mtlspec run --case ...` in bench/README.md):
#   x509/valid                         accepted (the control: if it is refused, nothing else can be judged)
#   tls/no-client-cert                 refused
#   x509/chain/untrusted-ca            refused
#   x509/chain/self-signed             refused
#   x509/usage/eku-server-auth-only    refused
#   x509/validity/expired              refused (openssl ca -startdate/-enddate: x509 -req cannot backdate in 3.0)
#   tls/version/tls12                  refused (curl --tlsv1.2 --tls-max 1.2)
# "Refused" is what a person concludes from curl: a non-zero exit (handshake
# failure, reset, HTTP/2 stream error) or an HTTP status of 400/401/403/421/495/496.
# Prints one PASS/FAIL line per case and a timing line; exit 0 when all pass,
# 1 when a case fails, 3 when the control is not accepted.
set -euo pipefail

url=${1:?usage: by-hand.sh URL CA_CERT CA_KEY [SPIFFE_ID]}
ca_cert=${2:?CA certificate}
ca_key=${3:?CA key}
spiffe_id=${4:-spiffe://example.org/client}

work=$(mktemp -d "${TMPDIR:-/tmp}/mtlspec-by-hand.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
started=$(now_ms)

cat > ext.cnf <<CNF
[client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectAltName = URI:$spiffe_id
[server_only]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = URI:$spiffe_id
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
CNF

# A CSR with a fresh P-256 key: what every walkthrough does per client.
csr() { openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" -out "$1.csr" -subj "/O=by-hand/CN=$1" 2>/dev/null; }
# Signed by a CA for a day, with the given extension section.
sign() { openssl x509 -req -in "$1.csr" -CA "$2" -CAkey "$3" -CAcreateserial -days 1 -sha256 -extfile ext.cnf -extensions "$4" -out "$1.pem" 2>/dev/null; }

csr valid && sign valid "$ca_cert" "$ca_key" client
csr eku-server && sign eku-server "$ca_cert" "$ca_key" server_only

# A CA the server does not trust, and a client it signs.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout stranger-ca.key -out stranger-ca.pem \
  -subj "/O=by-hand/CN=stranger CA" -days 1 -extensions ca -config <(printf '[req]\ndistinguished_name=dn\n[dn]\n'; cat ext.cnf) 2>/dev/null
csr untrusted && sign untrusted stranger-ca.pem stranger-ca.key client

# Self-signed, otherwise a proper client certificate.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout self-signed.key -out self-signed.pem \
  -subj "/O=by-hand/CN=self-signed" -days 1 -extensions client -config <(printf '[req]\ndistinguished_name=dn\n[dn]\n'; cat ext.cnf) 2>/dev/null

# Expired: only `openssl ca` can set dates in the past in OpenSSL 3.0.
mkdir -p ca-db && : > ca-db/index.txt && echo 1000 > ca-db/serial
cat > ca.cnf <<CNF
[ca]
default_ca = by_hand
[by_hand]
dir = $work/ca-db
database = \$dir/index.txt
new_certs_dir = \$dir
serial = \$dir/serial
default_md = sha256
policy = anything
unique_subject = no
[anything]
organizationName = optional
commonName = supplied
CNF
csr expired
openssl ca -batch -config ca.cnf -cert "$ca_cert" -keyfile "$ca_key" -in expired.csr -out expired.pem -notext \
  -startdate 20200101000000Z -enddate 20200201000000Z -extfile ext.cnf -extensions client 2>/dev/null
minted=$(now_ms)

# One curl per case; prints the HTTP status, or "exit N" when curl failed.
attempt() {
  local status
  if status=$(curl --http2 --silent --show-error --output /dev/null --write-out '%{http_code}' --max-time 5 \
      --cacert "$ca_cert" "$@" "$url" 2>/dev/null); then
    echo "$status"
  else
    echo "exit $?"
  fi
}
refused() { case "$1" in exit*|400|401|403|421|495|496) return 0;; *) return 1;; esac; }

failures=0
verdict() { # case, expectation (accepted|refused), observation
  local ok=no
  if [ "$2" = accepted ]; then [ "$3" = 200 ] && ok=yes; else refused "$3" && ok=yes; fi
  if [ $ok = yes ]; then echo "PASS $1 ($2: $3)"; else echo "FAIL $1 (expected $2, got $3)"; failures=$((failures + 1)); fi
}

control=$(attempt --cert valid.pem --key valid.key)
verdict x509/valid accepted "$control"
if [ "$control" != 200 ]; then echo "by-hand: the valid control was not accepted; nothing else can be judged"; exit 3; fi
verdict tls/no-client-cert refused "$(attempt)"
verdict x509/chain/untrusted-ca refused "$(attempt --cert untrusted.pem --key untrusted.key)"
verdict x509/chain/self-signed refused "$(attempt --cert self-signed.pem --key self-signed.key)"
verdict x509/usage/eku-server-auth-only refused "$(attempt --cert eku-server.pem --key eku-server.key)"
verdict x509/validity/expired refused "$(attempt --cert expired.pem --key expired.key)"
verdict tls/version/tls12 refused "$(attempt --cert valid.pem --key valid.key --tlsv1.2 --tls-max 1.2)"
done_at=$(now_ms)
echo "by-hand: 7 cases, $failures failed; mint $((minted - started)) ms, probe $((done_at - minted)) ms"
[ $failures -eq 0 ]
