#!/bin/bash
# Stop the SV server gracefully before Kubernetes signals the container, then free work/lock.
lock='/opt/microfocus/sv-server/work/lock'
pidfile='/run/sv-lifecycle/server.pid'
stop_max="${SV_STOP_TIMEOUT_SECONDS:-100}"
me="${HOSTNAME:-sv-server}"
pid="$(cat "$pidfile" 2>/dev/null)"
case "$pid" in
  "" | *[!0-9]* | 0 | 1)
    echo "sv-server preStop: the server is not running" >&2
    exit 0
    ;;
esac
kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
waited=0
while kill -0 -- "-$pid" 2>/dev/null || kill -0 "$pid" 2>/dev/null; do
  if [ "$waited" -ge "$stop_max" ]; then
    echo "sv-server preStop: the server is still running after ${stop_max}s; keeping the lock" >&2
    exit 0
  fi
  sleep 1
  waited=$((waited + 1))
done
[ "$(cat "$lock" 2>/dev/null)" = "$me" ] && rm -f "$lock"
exit 0
