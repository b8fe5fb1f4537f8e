#!/usr/bin/env bash
# Run a real Mage 0.9.80 server on loopback for gatehouse's Mage tests and for trying `--mage`.
#
#   scripts/mage-server.sh start    install (once, cached) and start; prints the URL
#   scripts/mage-server.sh stop     stop the server started by `start` (by its process id)
#   scripts/mage-server.sh status   say whether it runs, and where
#   scripts/mage-server.sh url      print the URL of the running server (nothing if stopped)
#
# The virtualenv is cached in $GATEHOUSE_MAGE_HOME (default ~/.cache/gatehouse/mage-0.9.80) and
# reused when mage-ai 0.9.80 is already installed there. The server's data dir, log and pid file
# live in a temporary folder recorded in $GATEHOUSE_MAGE_HOME/run. Environment:
#   GATEHOUSE_MAGE_PORT   first port to try (default 6789; Mage moves up if it is busy)
#   GATEHOUSE_MAGE_RUN    where the pid, URL and data-dir records go (default $GATEHOUSE_MAGE_HOME/run);
#                         a second server (CI beside a developer's) needs its own
#   GATEHOUSE_MAGE_WAIT   seconds to wait for /api/status (default 600)
#   PYTHON                interpreter for the virtualenv (default python3.11, else python3)
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
version=0.9.80
home="${GATEHOUSE_MAGE_HOME:-$HOME/.cache/gatehouse/mage-$version}"
requirements="${GATEHOUSE_MAGE_REQUIREMENTS:-$here/scripts/mage-requirements-$version.txt}"
venv="$home/venv"
run="${GATEHOUSE_MAGE_RUN:-$home/run}"
port="${GATEHOUSE_MAGE_PORT:-6789}"
wait_secs="${GATEHOUSE_MAGE_WAIT:-600}"

log() { echo "mage-server: $*" >&2; }

installed() {
  [ -x "$venv/bin/mage" ] &&
    "$venv/bin/python" -c 'import importlib.metadata as m,sys; sys.exit(m.version("mage-ai")!="'"$version"'")' 2>/dev/null
}

install() {
  if installed; then
    log "mage-ai $version already installed in $venv"
    return
  fi
  local py="${PYTHON:-}"
  if [ -z "$py" ]; then
    if command -v python3.11 >/dev/null 2>&1; then py=python3.11; else py=python3; fi
  fi
  log "installing mage-ai $version into $venv (pip, pinned list $requirements; takes a few minutes once)"
  mkdir -p "$home"
  rm -rf "$venv"
  "$py" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --upgrade pip >/dev/null
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  installed || { log "error: mage-ai $version did not install"; exit 1; }
}

pid_of() {
  local pid
  [ -f "$run/pid" ] || return 1
  pid="$(cat "$run/pid")"
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

url_of() {
  [ -f "$run/url" ] && cat "$run/url"
}

status_ok() {
  curl -fsS --max-time 5 "$1/api/status" 2>/dev/null | grep -q '"statuses"'
}

start() {
  if pid="$(pid_of)"; then
    log "already running (pid $pid) at $(url_of)"
    url_of
    return
  fi
  install
  local data
  data="$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-mage.XXXXXX")"
  mkdir -p "$run"
  echo "$data" > "$run/data"
  log "starting Mage on 127.0.0.1:$port, data in $data, log $data/mage.log"
  (
    cd "$data"
    export REQUIRE_USER_AUTHENTICATION=1 REQUIRE_USER_PERMISSIONS=1 DISABLE_AUTO_BROWSER_OPEN=1
    export MAGE_DATA_DIR="$data/mage_data"
    # setsid: its own process group, so `stop` ends Mage's children with it.
    setsid "$venv/bin/mage" start gatehouse_project --host 127.0.0.1 --port "$port" \
      >"$data/mage.log" 2>&1 < /dev/null &
    echo $! > "$run/pid"
  )
  local pid deadline url=""
  pid="$(cat "$run/pid")"
  deadline=$(( $(date +%s) + wait_secs ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "error: Mage exited during start; last lines of $data/mage.log:"
      tail -n 30 "$data/mage.log" >&2 || true
      rm -f "$run/pid"
      exit 1
    fi
    # Mage moves to the next free port when the asked one is busy; its log says where.
    local seen
    seen="$(grep -oE 'Mage is running at http://[^ ]+' "$data/mage.log" 2>/dev/null | tail -n1 | sed 's/.*running at //')" || true
    # Only the log says which port this server took: another server may already answer on
    # the asked one.
    if [ -n "$seen" ]; then
      url="$(echo "$seen" | sed -E 's#http://(localhost|0\.0\.0\.0)#http://127.0.0.1#; s#/+$##')"
    fi
    if [ -n "$url" ] && status_ok "$url"; then
      echo "$url" > "$run/url"
      log "ready at $url (pid $pid)"
      echo "$url"
      return
    fi
    sleep 2
  done
  log "error: Mage did not answer /api/status within ${wait_secs}s; see $data/mage.log"
  stop
  exit 1
}

stop() {
  local pid
  if pid="$(pid_of)"; then
    log "stopping pid $pid"
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
  else
    log "not running"
  fi
  rm -f "$run/pid" "$run/url"
  if [ -f "$run/data" ]; then
    rm -rf "$(cat "$run/data")"
    rm -f "$run/data"
  fi
}

status() {
  local pid
  if pid="$(pid_of)"; then
    echo "running (pid $pid) at $(url_of); data in $(cat "$run/data" 2>/dev/null)"
  else
    echo "stopped"
    return 3
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  url) url_of || true ;;
  install) install ;;
  *) echo "usage: $0 start|stop|status|url|install" >&2; exit 2 ;;
esac
