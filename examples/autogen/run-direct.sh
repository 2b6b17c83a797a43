#!/usr/bin/env bash
# Runs the AutoGen demo WITHOUT Warden: the agent talks straight to the scripted OpenAI test
# server and to a throwaway PostgreSQL seeded with customers. It shows what the scripted turns make
# the agent do (one SELECT, one DROP TABLE) -- and that nothing stops the DROP when no gateway is in
# between. Needs PostgreSQL's server binaries and the venv from scripts/install-test-deps.sh.
# Usage: examples/autogen/run-direct.sh [--stream]
set -euo pipefail
cd "$(dirname "$0")/../.."

VENV="${AUTOGEN_VENV:-$HOME/.cache/warden-autogen-venv}"
PG_BIN="$( { pg_config --bindir 2>/dev/null || true; ls -d /usr/lib/postgresql/*/bin 2>/dev/null || true; } | head -n1)"
KEY="wdn_demo_direct"   # stands in for the Warden key: here it is simply both passwords
STREAM=0
[ "${1:-}" = "--stream" ] && STREAM=1

work="$(mktemp -d /tmp/autogen-direct-XXXXXX)"
server_pid=""
as_pg=()
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$work/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# PostgreSQL refuses to run as root: run it as the postgres user then (as the test harness does).
if [ "$(id -u)" -eq 0 ]; then
  as_pg=(runuser -u postgres --)
  chown postgres: "$work"
fi
printf '%s' "$KEY" >"$work/pw"
[ "$(id -u)" -eq 0 ] && chown postgres: "$work/pw"
"${as_pg[@]}" "$PG_BIN/initdb" -D "$work/data" -U postgres --pwfile="$work/pw" \
  --auth=scram-sha-256 -E UTF8 >/dev/null
pg_port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$work/data" -l "$work/postgres.log" -w \
  -o "-p $pg_port -k $work -c listen_addresses=127.0.0.1" start >/dev/null
PGPASSWORD="$KEY" psql -q -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -v ON_ERROR_STOP=1 <<'SQL'
CREATE DATABASE shop;
\c shop
CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL, email text NOT NULL, card text);
INSERT INTO customers (name, email, card) VALUES
  ('Ada Lovelace', 'ada@example.com', '4111 1111 1111 1111'),
  ('Grace Hopper', 'grace@example.org', '5500 0000 0000 0004'),
  ('Alan Turing', 'alan.turing@example.net', '3400 000000 00009'),
  ('Zoë Ångström', 'zoe@example.com', '6011 0000 0000 0004');
SQL

python3 scripts/openai-test-server.py --port 0 --script examples/autogen/script.json \
  --require-auth "Bearer $KEY" --log "$work/llm-requests.jsonl" >"$work/server.out" &
server_pid=$!
for _ in $(seq 50); do grep -q '^LISTENING ' "$work/server.out" 2>/dev/null && break; sleep 0.1; done
llm_port="$(awk '/^LISTENING /{print $2}' "$work/server.out")"

echo "== agent (model http://127.0.0.1:$llm_port/v1, database 127.0.0.1:$pg_port, no Warden)"
WARDEN_LLM_URL="http://127.0.0.1:$llm_port/v1" WARDEN_KEY="$KEY" WARDEN_MODEL=scripted-model \
  WARDEN_PG_DSN="host=127.0.0.1 port=$pg_port dbname=shop user=postgres sslmode=disable" \
  WARDEN_STREAM="$STREAM" "$VENV/bin/python" examples/autogen/agent.py

echo "== model requests: $(wc -l <"$work/llm-requests.jsonl")"
echo "== customers table after the run:"
PGPASSWORD="$KEY" psql -h 127.0.0.1 -p "$pg_port" -U postgres -d shop -tAc \
  "SELECT coalesce(to_regclass('customers')::text, 'gone: dropped by the agent')"
