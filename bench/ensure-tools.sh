#!/usr/bin/env bash
# make bench needs curl (with HTTP/2), openssl and GNU time next to Node.
# Installs the missing ones from Debian's apt when run as root; otherwise
# says what to install.
set -euo pipefail
missing=()
command -v curl >/dev/null || missing+=(curl)
command -v openssl >/dev/null || missing+=(openssl)
[ -x /usr/bin/time ] || missing+=(time)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "bench: installing ${missing[*]} with apt-get" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "bench: missing ${missing[*]}: install them (Debian: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
