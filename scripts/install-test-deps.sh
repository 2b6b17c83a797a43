#!/usr/bin/env bash
# Installs the system packages Warden's tests drive for real: PostgreSQL server and client tools,
# MariaDB, OpenSSH server and client, libclang (for pg_query's bindgen), PgBouncer, nginx, wrk
# and llvm-profdata (benchmarks), plus the Python clients: psycopg, and a virtualenv at
# ~/.cache/warden-autogen-venv with AutoGen, the openai SDK and psycopg (examples/autogen, HTTP
# gateway tests).
# Idempotent: does nothing when everything is already present.
set -euo pipefail

need=()
have() { command -v "$1" >/dev/null 2>&1 || [ -x "$1" ]; }
pg_bin() { { pg_config --bindir 2>/dev/null || true; ls -d /usr/lib/postgresql/*/bin 2>/dev/null || true; } | head -n1; }

if ! have initdb && ! [ -x "$(pg_bin)/initdb" ]; then need+=(postgresql); fi
have psql || need+=(postgresql-client)
have pgbench || need+=(postgresql-contrib)
have mariadbd || have mysqld || need+=(mariadb-server)
have mariadb || have mysql || need+=(mariadb-client)
have /usr/sbin/sshd || need+=(openssh-server)
have ssh || need+=(openssh-client)
have ssh-keygen || need+=(openssh-client)
have pgbouncer || need+=(pgbouncer)
have nginx || have /usr/sbin/nginx || need+=(nginx)
have wrk || need+=(wrk)
# bindgen needs libclang itself (libclang.so / libclang-NN.so), not libclang-cpp, which other
# packages pull in and which an older check mistook for it.
ls /usr/lib/llvm-*/lib/libclang.so* /usr/lib/*/libclang-[0-9]*.so* >/dev/null 2>&1 || need+=(libclang-dev)
# llvm-profdata of rustc's LLVM major version, for the benchmarks' profile-guided build
# (scripts/build-pgo.sh); the raw profile format follows LLVM's, so no other version will do.
llvm_major=$(rustc -vV 2>/dev/null | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p' || true)
if [ -n "$llvm_major" ] && ! have "llvm-profdata-$llvm_major"; then
  if apt-cache show "llvm-$llvm_major" >/dev/null 2>&1; then
    need+=("llvm-$llvm_major")
  else
    echo "install-test-deps: Debian has no llvm-$llvm_major; scripts/build-pgo.sh needs llvm-profdata-$llvm_major"
  fi
fi
have python3 || need+=(python3)
# Debian splits venv's pip bootstrap (ensurepip) into python3-venv.
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need+=(python3-venv)

AUTOGEN_VENV="$HOME/.cache/warden-autogen-venv"
AUTOGEN_REQUIREMENTS="$(cd "$(dirname "$0")/.." && pwd)/examples/autogen/requirements.txt"

install_python_packages() {
  # Python clients the tests drive (psycopg through the PostgreSQL gateway).
  if ! python3 -c 'import psycopg' >/dev/null 2>&1; then
    echo "install-test-deps: installing psycopg from PyPI"
    python3 -m pip install --quiet 'psycopg[binary]==3.3.9' \
      || python3 -m pip install --quiet --break-system-packages 'psycopg[binary]==3.3.9'
  fi
  # The admin API's OpenAPI document is checked with a real validator.
  if ! python3 -c 'import openapi_spec_validator' >/dev/null 2>&1; then
    echo "install-test-deps: installing openapi-spec-validator from PyPI"
    python3 -m pip install --quiet 'openapi-spec-validator==0.9.0' \
      || python3 -m pip install --quiet --break-system-packages 'openapi-spec-validator==0.9.0'
  fi
  # AutoGen pulls in many packages, so it gets its own virtualenv; the pins are in
  # examples/autogen/requirements.txt (autogen-agentchat, autogen-ext[openai], openai, psycopg).
  if ! autogen_venv_current; then
    echo "install-test-deps: installing AutoGen, openai and psycopg into $AUTOGEN_VENV"
    [ -x "$AUTOGEN_VENV/bin/python" ] || python3 -m venv "$AUTOGEN_VENV"
    "$AUTOGEN_VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
      -r "$AUTOGEN_REQUIREMENTS"
  fi
}

# True when the venv holds exactly the pinned versions (no network, well under a second).
autogen_venv_current() {
  [ -x "$AUTOGEN_VENV/bin/python" ] || return 1
  "$AUTOGEN_VENV/bin/python" - "$AUTOGEN_REQUIREMENTS" <<'PY' >/dev/null 2>&1
import re, sys
from importlib.metadata import version
for line in open(sys.argv[1]):
    line = line.split("#")[0].strip()
    if line:
        name, pinned = re.match(r"([A-Za-z0-9_.-]+)(?:\[[^]]*\])?==(\S+)", line).groups()
        if version(name) != pinned:
            sys.exit(1)
PY
}

if [ ${#need[@]} -eq 0 ]; then
  echo "install-test-deps: system packages are present"
  install_python_packages
  exit 0
fi

echo "install-test-deps: installing ${need[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
# Debian starts packaged services on install; the tests start their own on free ports, so the
# packaged ones are left as they are.
install_python_packages
