/**
 * The SV server's lifecycle: its start and stop scripts (start.sh, prestop.sh next to this file), as text
 * for `/bin/bash -c`, and what they need of the pod (`svLifecycle`).
 *
 * Why they exist (vendor guidance, see the chart README): the image starts the server under `sh`, which
 * does not pass SIGTERM on, so Kubernetes' SIGTERM never reaches the server and it is SIGKILLed at the end
 * of the grace period, mid-write. And two servers must never use one work directory at once, so a lock
 * file `work/lock` serialises a stopping pod and its successor.
 *
 * The scripts are plain files holding the image's paths; the timings come from environment variables set
 * on the container (the preStop exec runs with the container's environment). So the chart template holds
 * the script verbatim, and the tests run exactly this text under a real bash with `home` pointing at a
 * temporary directory.
 */
import { shellScript } from '../../core/shell-script';
import { Render, ValueTree } from '../../core/template';

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
  // The files hold the image's paths as single-quoted words; other paths (the tests') replace those words.
  const paths = {
    [quote(`${SV_HOME}/work/lock`)]: quote(`${o.home}/work/lock`),
    [quote(`${SV_RUN_DIR}/server.pid`)]: quote(`${o.runDir}/server.pid`),
  };
  const start = shellScript(__dirname, 'start.sh', { ...paths, [quote(`${SV_HOME}/bin/start-server.sh`)]: quote(`${o.home}/bin/start-server.sh`) });
  const preStop = shellScript(__dirname, 'prestop.sh', paths);
  for (const [name, fallback] of Object.values(SV_LIFECYCLE_ENV).map((e) => [e.name, e.fallback] as const)) {
    if (![start, preStop].some((s) => s.includes(`\${${name}:-${fallback}}`))) throw new Error(`the SV scripts do not read ${name}`);
  }
  return { start, preStop };
}

/** What the lifecycle adds to the server's pod and container, from the `lifecycle` values. */
export function svLifecycle(render: Render, values: ValueTree<{ lockWaitSeconds: number; stopTimeoutSeconds: number; graceMarginSeconds: number }>) {
  const scripts = svLifecycleScripts({ home: SV_HOME, runDir: SV_RUN_DIR });
  return {
    // Derived, never set: always longer than the preStop wait, so the server is not SIGKILLed while it
    // is still allowed to shut down.
    terminationGracePeriodSeconds: render.add(values.stopTimeoutSeconds, values.graceMarginSeconds),
    // bash, not the image's sh (see above).
    command: ['/bin/bash', '-c'],
    args: [scripts.start],
    preStop: { exec: { command: ['/bin/bash', '-c', scripts.preStop] } },
    env: [
      { name: SV_LIFECYCLE_ENV.lockWaitSeconds.name, value: render.str(values.lockWaitSeconds) },
      { name: SV_LIFECYCLE_ENV.stopTimeoutSeconds.name, value: render.str(values.stopTimeoutSeconds) },
    ],
    volumeMount: { name: 'lifecycle', mountPath: SV_RUN_DIR },
    volume: { name: 'lifecycle', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } },
  };
}
