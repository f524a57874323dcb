#!/bin/sh
# The reference setups behind a real HAProxy, started and probed end to end.
#
#   scripts/behind-haproxy.sh l4 [serve flags]      3 HTTP/2 replicas behind HAProxy in mode tcp
#                                                  (round robin, TLS passed through), run with --repeat 3
#   scripts/behind-haproxy.sh l4 --flaw accept-any-cert --flawed-replicas 1
#                                                  ... one replica of three accepts any certificate
#   scripts/behind-haproxy.sh proxy overwrites     HAProxy in mode http terminates mTLS and overwrites
#                                                  X-SSL-Client-Cert for a plain backend (correct)
#   scripts/behind-haproxy.sh proxy appends        ... appends it to the client's own copy (flawed)
#
# Installs the Debian package haproxy when it is missing (as root). Everything
# listens on 127.0.0.1 and is stopped on exit; the reports go to
# reports/behind-haproxy. Exit code: the run's (0 passed, 1 failed, 3 inconclusive).
set -eu
cd "$(dirname "$0")/.."
kind=${1:-l4}
[ $# -gt 0 ] && shift
case "$kind" in
  l4) serve_flags="--replicas 3" ;;
  proxy) serve_flags="--proxy-headers ${1:-overwrites}"; [ $# -gt 0 ] && shift ;;
  *) echo "usage: $0 l4|proxy [overwrites|appends] [serve flags]" >&2; exit 2 ;;
esac
if ! command -v haproxy >/dev/null 2>&1 && [ ! -x /usr/sbin/haproxy ]; then
  echo "installing haproxy (Debian package)" >&2
  apt-get -o DPkg::Lock::Timeout=60 -q update && apt-get -o DPkg::Lock::Timeout=60 -q install -y --no-install-recommends haproxy
fi
work=$(mktemp -d)
# shellcheck disable=SC2086 # the flags are words on purpose
node bin/mtlspec.js serve http2 $serve_flags --pki-dir "$work/pki" "$@" >"$work/serve.log" 2>&1 &
serve=$!
stop() { kill -TERM $serve 2>/dev/null || true; wait $serve 2>/dev/null || true; rm -rf "$work"; }
trap 'stop; exit 130' INT TERM
# At most 10 s for HAProxy and the servers to come up.
tries=0
until grep -q 'Ctrl-C stops it' "$work/serve.log"; do
  tries=$((tries + 1))
  if [ $tries -gt 100 ] || ! kill -0 $serve 2>/dev/null; then cat "$work/serve.log" >&2; stop; exit 3; fi
  sleep 0.1
done
sed -n '1,3p' "$work/serve.log"
# The run line serve printed, with its flags (--repeat 3, --identity-echo, --tags), and the reports kept.
run=$(sed -n 's/^ *npx mtlspec run //p' "$work/serve.log")
status=0
eval "node bin/mtlspec.js run $run --report-dir reports/behind-haproxy" || status=$?
stop
exit $status
