#!/usr/bin/env bash
# Run the back-office locally: web app (with the provider sandbox), a Celery worker and Celery beat.
# Idempotent: the first run creates .venv and .env and the demo data; later runs reuse them.
# Usage: ./scripts/run.sh            (PORT=8001 ./scripts/run.sh to use another port)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

PORT="${PORT:-8000}"
HOST=127.0.0.1
BASE_URL="http://$HOST:$PORT"

ensure_venv
ensure_env_file .env

log "applying database migrations"
"$VENV_DIR/bin/python" manage.py migrate --noinput -v 0

log "loading the demo data (provider accounts on the sandbox, invoices, users)"
seed_output="$("$VENV_DIR/bin/python" manage.py seed_demo --base-url "$BASE_URL/sandbox")"
printf '%s\n' "$seed_output"
login="$(printf '%s\n' "$seed_output" | sed -n 's/^Admin login: \(admin \/ [^ ]*\).*/\1/p')"
[ -n "$login" ] || die "seed_demo printed no admin login (see its output above)"

# The embedded broker (filesystem://) keeps its messages in folders under var/celery/ (the settings create them
# too, wherever CELERY_FILESYSTEM_DIR points).
mkdir -p var/log var/celery/queue var/celery/processed var/celery/control

pids=()
stop_background() {
    trap - EXIT INT TERM
    if [ ${#pids[@]} -gt 0 ]; then
        log "stopping the Celery worker and beat"
        kill -TERM "${pids[@]}" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "${pids[@]}" 2>/dev/null || break
            sleep 0.2
        done
        kill -KILL "${pids[@]}" 2>/dev/null || true
        wait 2>/dev/null || true
    fi
}
trap stop_background EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "starting the Celery worker (log: var/log/worker.log)"
"$VENV_DIR/bin/celery" -A backoffice worker --loglevel INFO --concurrency 2 \
    --without-gossip --without-mingle --without-heartbeat >var/log/worker.log 2>&1 &
pids+=($!)

log "starting Celery beat (log: var/log/beat.log)"
"$VENV_DIR/bin/celery" -A backoffice beat --loglevel INFO --pidfile= >var/log/beat.log 2>&1 &
pids+=($!)

cat <<INFO

  Back-office:      $BASE_URL/admin/
  Provider sandbox: $BASE_URL/sandbox/<kind>/   (arcadier, modulus, generic, vtex, rapyd)
  Login:            $login   (operator and viewer share the password; it is DEMO_ADMIN_PASSWORD in .env)

  Press Ctrl-C to stop everything.

INFO

# In the background too, so that a TERM sent to this script alone still stops everything (`wait` is interruptible).
"$VENV_DIR/bin/python" manage.py runserver "$HOST:$PORT" --noreload &
server=$!
pids+=("$server")
wait "$server"
