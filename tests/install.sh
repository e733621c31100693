#!/bin/sh
# Install what the test suite needs: ticketcli with its test extras, the
# Debian packages of the real servers that the integration tests start on
# 127.0.0.1, and headless Chromium for the report's screenshots. Safe to run
# again; apt-get runs only for what is missing.
set -e
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES="postgresql dovecot-imapd openssl chromium"
missing=""
for pkg in $DEBIAN_PACKAGES; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq --no-install-recommends $missing >/dev/null
    elif command -v sudo >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
        sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq --no-install-recommends $missing >/dev/null
    else
        echo "tests/install.sh: cannot install$missing (no apt-get or root);" \
             "the tests that need them skip outside CI" >&2
    fi
fi

python3 -m pip install -q --disable-pip-version-check -e '.[test]'
