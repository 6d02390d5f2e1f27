#!/usr/bin/env bash
# What the tests need beyond Python packages: Debian's Chromium (never a downloaded browser),
# espeak-ng and sox for synthetic phone calls,
# and the PostgreSQL server this machine kind provides on 127.0.0.1:5432.
set -euo pipefail

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing Debian's chromium for the browser tests"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "warning: /usr/bin/chromium missing and not root: browser tests will skip (and fail under CI=true)" >&2
  fi
fi

# espeak-ng and sox make the synthetic phone calls of the speech tests.
missing=""
command -v espeak-ng >/dev/null || missing="$missing espeak-ng"
command -v sox >/dev/null || missing="$missing sox"
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing$missing for the speech tests"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  else
    echo "warning:$missing missing and not root: speech tests will fail" >&2
  fi
fi

if command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  if command -v pg_ctlcluster >/dev/null && [ "$(id -u)" = 0 ]; then
    echo "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  fi
fi
