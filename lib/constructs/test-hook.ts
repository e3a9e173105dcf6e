import { Construct } from 'constructs';
import { KubeObject } from '../core/kube-object';
import { Render, ValueOrConstant } from '../core/template';
import { z } from 'zod';
import { imageReference } from '../core/schema';
import { Identity } from './identity';

/** The default image of a chart's `helm test` pod (busybox has sh, nc and grep). */
export const TEST_IMAGE = 'busybox:1.36.1';

/** `tests` values of a chart: the image of its `helm test` pod and what that image needs. */
export const testValues = (needs: string) =>
  z
    .object({ image: imageReference().default(TEST_IMAGE).describe(`Image of the \`helm test\` pod (needs ${needs}).`) })
    .strict()
    .prefault({});

export interface PortCheckTestProps {
  readonly identity: Identity;
  /** Product name of the test Pod ("md-core-test"). */
  readonly name: string;
  /** Service host and port that must accept connections. */
  readonly host: ValueOrConstant<string>;
  readonly port: ValueOrConstant<number>;
  /** An image with `nc` (busybox). */
  readonly image: ValueOrConstant<string>;
}

/**
 * The chart's `helm test` hook: a Pod that succeeds when the Service accepts TCP connections.
 * Restricted Pod Security, read-only root, no API token.
 */
export class PortCheckTest extends Construct {
  constructor(scope: Construct, id: string, props: PortCheckTestProps) {
    super(scope, id);
    const render = Render.of(this);
    new KubeObject(this, 'Pod', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: props.identity.meta(props.name, 'test', {
        annotations: { 'helm.sh/hook': 'test', 'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded' },
      }),
      spec: {
        restartPolicy: 'Never',
        automountServiceAccountToken: false,
        securityContext: props.identity.securityContext({ runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, seccompProfile: { type: 'RuntimeDefault' } }),
        containers: [
          {
            name: 'port-check',
            image: props.image,
            command: ['nc', '-z', '-w', '5', props.host, render.str(props.port)],
            resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '100m', memory: '32Mi' } },
            securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true, runAsNonRoot: true },
          },
        ],
      },
    });
  }
}
