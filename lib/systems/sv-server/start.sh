#!/bin/bash
# shellcheck disable=SC2317 # on_term and release run from traps, which shellcheck 0.9 takes for unreachable code
# SV server under bash, so SIGTERM reaches it; work/lock keeps two servers off one work directory.
lock='/opt/microfocus/sv-server/work/lock'
pidfile='/run/sv-lifecycle/server.pid'
wait_max="${SV_LOCK_WAIT_SECONDS:-60}"
me="${HOSTNAME:-sv-server}"
server=""
rm -f "$pidfile"
on_term() {
  if [ -z "$server" ]; then
    echo "sv-server: SIGTERM before the server started" >&2
    exit 143
  fi
  echo "sv-server: passing SIGTERM to the server" >&2
  kill -TERM -- "-$server" 2>/dev/null || kill -TERM "$server" 2>/dev/null
}
trap on_term TERM
waited=0
while [ -e "$lock" ] && [ "$(cat "$lock" 2>/dev/null)" != "$me" ] && [ "$waited" -lt "$wait_max" ]; do
  [ "$waited" -eq 0 ] && echo "sv-server: waiting up to ${wait_max}s for $lock ($(cat "$lock" 2>/dev/null))" >&2
  sleep 1 &
  wait $!
  waited=$((waited + 1))
done
if [ -e "$lock" ] && [ "$(cat "$lock" 2>/dev/null)" != "$me" ]; then
  echo "sv-server: taking over the lock left by $(cat "$lock" 2>/dev/null) after ${waited}s" >&2
fi
release() {
  [ "$(cat "$lock" 2>/dev/null)" = "$me" ] && rm -f "$lock"
  rm -f "$pidfile"
}
trap release EXIT
echo "$me" > "$lock"
set -m
'/opt/microfocus/sv-server/bin/start-server.sh' &
server=$!
set +m
echo "$server" > "$pidfile"
status=0
while :; do
  wait "$server"
  status=$?
  kill -0 "$server" 2>/dev/null || break
done
# Processes the server left in its group (a shell that did not exec it) still hold the lock.
while kill -0 -- "-$server" 2>/dev/null; do
  sleep 1 &
  wait $!
done
exit "$status"
