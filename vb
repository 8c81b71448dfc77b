#!/usr/bin/env bash
# VoucherBridge developer entry point: ./vb demo | ./vb test | ./vb bench | ./vb <voucherbridge args>
# Needs only Python 3.11+ (and root or sudo for apt-get when PostgreSQL must be installed for tests).
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
VENV="$ROOT/.venv"
PY="${PYTHON:-python3}"

ensure_venv() {
  if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -m venv "$VENV"
  fi
  local stamp="$VENV/.installed" want
  want=$(cat requirements.lock pyproject.toml | sha256sum | cut -c1-16)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    # pip's chatter goes to a log (shown only when it fails), not into the demo's instructions.
    local log="$VENV/install.log"
    echo "[vb] installing pinned dependencies into .venv (first run: about a minute)..." >&2
    if ! { "$VENV/bin/python" -m pip install -q --upgrade pip \
        && "$VENV/bin/python" -m pip install -q -r requirements.lock \
        && "$VENV/bin/python" -m pip install -q --no-deps -e .; } >"$log" 2>&1; then
      cat "$log" >&2
      exit 1
    fi
    echo "$want" > "$stamp"
  fi
}

ensure_test_packages() {
  # PostgreSQL for the integration tests; poppler (pdftoppm) and a Chinese TrueType font for
  # the receipt PDF tests.
  local missing=()
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null \
    || missing+=(postgresql)
  command -v pdftoppm >/dev/null || missing+=(poppler-utils)
  [ -f /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] || missing+=(fonts-wqy-zenhei)
  # Debian's Chromium for the console's browser tests (Playwright never downloads a browser)
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  [ ${#missing[@]} -eq 0 ] && return
  echo "[vb] installing ${missing[*]} (apt-get)..." >&2
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

ensure_bench_packages() {
  # wrk, the load generator of bench/run (compiled: the generator must not be the bottleneck),
  # and PostgreSQL for its second backend.
  local missing=()
  command -v wrk >/dev/null || missing+=(wrk)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null \
    || missing+=(postgresql)
  [ ${#missing[@]} -eq 0 ] && return
  echo "[vb] installing ${missing[*]} (apt-get)..." >&2
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

cmd="${1:-help}"
shift || true
case "$cmd" in
  demo)
    ensure_venv
    exec "$VENV/bin/voucherbridge" demo "$@"
    ;;
  test)
    ensure_venv
    ensure_test_packages
    "$VENV/bin/ruff" check
    "$VENV/bin/ruff" format --check
    "$VENV/bin/mypy"
    # Two workers by default (the machine has two cores); VB_TEST_WORKERS=0 runs in one process.
    exec "$VENV/bin/pytest" -n "${VB_TEST_WORKERS:-2}" "$@"
    ;;
  bench)
    ensure_venv
    ensure_bench_packages
    exec "$VENV/bin/python" bench/run "$@"
    ;;
  help|-h|--help)
    sed -n '2,3p' "$0"
    ;;
  *)
    ensure_venv
    exec "$VENV/bin/voucherbridge" "$cmd" "$@"
    ;;
esac
