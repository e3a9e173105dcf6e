/**
 * The SV server's start and stop scripts, as text for `/bin/bash -c`.
 *
 * Why they exist (vendor guidance, see the chart README): the image starts the server under `sh`, which
 * does not pass SIGTERM on, so Kubernetes' SIGTERM never reaches the server and it is SIGKILLed at the end
 * of the grace period, mid-write. And two servers must never use one work directory at once, so a lock
 * file `work/lock` serialises a stopping pod and its successor.
 *
 * The scripts are plain text built from paths only; the timings come from environment variables set on
 * the container (the preStop exec runs with the container's environment). So the chart template holds the
 * script verbatim, and the tests run exactly this text under a real bash with `home` pointing at a
 * temporary directory.
 */

/** Install directory of the server in the vendor's image. */
export const SV_HOME = '/opt/microfocus/sv-server';
/** Container-private directory (an emptyDir) for the server's PID file. */
export const SV_RUN_DIR = '/run/sv-lifecycle';

/** Environment variables the scripts read, with the fallback used when one is missing. */
export const SV_LIFECYCLE_ENV = {
  /** Seconds the start script waits for another server's lock to go away before taking it over. */
  lockWaitSeconds: { name: 'SV_LOCK_WAIT_SECONDS', fallback: 60 },
  /** Seconds the preStop hook waits for the server to exit after SIGTERM. */
  stopTimeoutSeconds: { name: 'SV_STOP_TIMEOUT_SECONDS', fallback: 100 },
} as const;

export interface SvLifecycleOptions {
  /** Install directory: `bin/start-server.sh` is started, `work/lock` is the lock. */
  readonly home: string;
  /**
   * A directory private to this container, never a shared or persistent volume: it holds the server's
   * PID, which means nothing in another container's PID namespace.
   */
  readonly runDir: string;
}

export interface SvLifecycleScripts {
  /** The container's args[0] under `command: ["/bin/bash", "-c"]`. */
  readonly start: string;
  /** The preStop hook's script, run as `/bin/bash -c <script>`. */
  readonly preStop: string;
}

/** A bash single-quoted word: the path is used literally, whatever characters it holds. */
function quote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The start script and the preStop script.
 *
 * Start: wait (at most SV_LOCK_WAIT_SECONDS) while `work/lock` is held by another pod; a lock holding this
 * pod's own name is left over from this pod's previous container and is taken over at once. Write the
 * lock, start `bin/start-server.sh` as a child in its own process group and record its PID; on SIGTERM
 * pass the signal to that whole group (the server may itself run under a shell that would swallow it);
 * wait until every process of the group has exited, and on exit remove the lock if it is still ours.
 *
 * preStop: send SIGTERM to the server's process group, wait at most SV_STOP_TIMEOUT_SECONDS for all of
 * it to exit, then remove the lock if it is ours. If the server has not exited by then the lock stays: the
 * server still writes to the work directory, and the next pod's bounded wait covers a lock left behind.
 * The pod's terminationGracePeriodSeconds is derived to exceed that wait (see the construct).
 */
export function svLifecycleScripts(o: SvLifecycleOptions): SvLifecycleScripts {
  const lock = `${o.home}/work/lock`;
  const pidFile = `${o.runDir}/server.pid`;
  const { lockWaitSeconds: wait, stopTimeoutSeconds: stop } = SV_LIFECYCLE_ENV;
  const start = `# SV server under bash, so SIGTERM reaches it; work/lock keeps two servers off one work directory.
lock=${quote(lock)}
pidfile=${quote(pidFile)}
wait_max="\${${wait.name}:-${wait.fallback}}"
me="\${HOSTNAME:-sv-server}"
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
  [ "$waited" -eq 0 ] && echo "sv-server: waiting up to \${wait_max}s for $lock ($(cat "$lock" 2>/dev/null))" >&2
  sleep 1 &
  wait $!
  waited=$((waited + 1))
done
if [ -e "$lock" ] && [ "$(cat "$lock" 2>/dev/null)" != "$me" ]; then
  echo "sv-server: taking over the lock left by $(cat "$lock" 2>/dev/null) after \${waited}s" >&2
fi
release() {
  [ "$(cat "$lock" 2>/dev/null)" = "$me" ] && rm -f "$lock"
  rm -f "$pidfile"
}
trap release EXIT
echo "$me" > "$lock"
set -m
${quote(`${o.home}/bin/start-server.sh`)} &
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
`;
  const preStop = `# Stop the SV server gracefully before Kubernetes signals the container, then free work/lock.
lock=${quote(lock)}
pidfile=${quote(pidFile)}
stop_max="\${${stop.name}:-${stop.fallback}}"
me="\${HOSTNAME:-sv-server}"
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
    echo "sv-server preStop: the server is still running after \${stop_max}s; keeping the lock" >&2
    exit 0
  fi
  sleep 1
  waited=$((waited + 1))
done
[ "$(cat "$lock" 2>/dev/null)" = "$me" ] && rm -f "$lock"
exit 0
`;
  return { start, preStop };
}
