/**
 * The stack this repository deploys: which systems, in which namespace, with which values.
 * Values are typed from each system's zod schema, so a typo fails the type check, and a wrong value
 * fails synthesis with its path, before anything is written.
 */
import { App } from 'cdk8s';
import { SystemChart } from '../lib/core/system';
import { mdIcapsrvSystem } from '../lib/systems/md-icapsrv';

export interface StackOptions {
  /** Namespace of every system. @default "metadefender" */
  readonly namespace?: string;
}

/** Add every system of the stack to `app`, one chart (one dist/<name>.k8s.yaml) each. */
export function buildStack(app: App, opts: StackOptions = {}): void {
  const namespace = opts.namespace ?? 'metadefender';
  new SystemChart(app, 'md-icapsrv', {
    system: mdIcapsrvSystem,
    namespace,
    values: {
      acceptEula: true,
      // The licence key lives in a Secret managed outside this repository.
      license: { existingSecret: 'mdicapsrv-license-key' },
    },
  });
}
