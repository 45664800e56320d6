#!/usr/bin/env bash
# Installs what building and testing Meeting needs on Debian 12, skipping what is already there.
# Used by `make up`, `make test` and .ci/run. Needs root (or sudo) only when something is missing.
#
#   scripts/install-deps.sh build   the C libraries' -dev packages (enough for `make up`)
#   scripts/install-deps.sh test    the above plus the real peers the tests talk to
set -euo pipefail

what=${1:-test}

# C libraries the Media/System targets link (pkg-config names: openssl libsrtp2 opus vpx alsa libv4l2).
debs=(pkg-config libssl-dev libsrtp2-dev libopus-dev libvpx-dev libasound2-dev libv4l-dev libsqlite3-dev libmariadb-dev)
# Real test peers, so `make test` and CI install them: coturn's turnutils (TURN), Chromium + chromedriver
# (WebRTC, web page), MariaDB (Store), Pebble (ACME).
test_debs=(openssl coreutils coturn chromium chromium-driver mariadb-server pebble)
# aiortc (and aioice under it): the WebRTC/ICE peer; numpy: aiortc's media peer builds tone/video frames and
# measures the tone; aiosmtpd: the SMTP server; selenium drives Chromium;
# icalendar parses the invitations our mail carries (RFC 5545), as a calendar client would.
test_pips=(aiortc==1.16.0 numpy==2.4.6 aiosmtpd==1.4.6 selenium==4.45.0 icalendar==7.3.0)
if [ "$what" = test ]; then
    debs+=("${test_debs[@]}")
fi

missing=()
for package in "${debs[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done

if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}"
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
        sudo=sudo
    fi
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ "$what" = test ] && [ ${#test_pips[@]} -gt 0 ]; then
    python3 -m pip install -q "${test_pips[@]}"
fi

command -v swift >/dev/null || { echo "install-deps: no 'swift' on PATH; install Swift 6.x (https://swift.org/install)" >&2; exit 1; }
