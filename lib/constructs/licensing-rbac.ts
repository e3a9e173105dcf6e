import { Construct } from 'constructs';
import { z } from 'zod';
import { dnsName } from '../core/schema';
import { Render, ValueOrConstant, Value, ValueTree } from '../core/template';
import { Identity } from './identity';
import { KubeObject } from '../core/kube-object';

/** Values of licensing clean-up, shared by every OPSWAT product chart. */
export const licensingValues = (secretName: string) =>
  z
    .object({
      cleanup: z
        .boolean()
        .default(true)
        .describe('Record licensing data in the licensing Secret so activations of pods killed without SIGTERM can be cleaned up (LICENSING_CLEANUP).'),
      secretName: dnsName().default(secretName).describe('Licensing Secret the application writes (CUSTOM_SECRET); pre-created by the chart.'),
      vendorRules: z
        .boolean()
        .default(false)
        .describe('Grant the vendor\'s broad Role (create/update/get/list/patch on every Secret in the namespace) instead of access to the one licensing Secret.'),
    })
    .strict()
    .prefault({});

export type LicensingValues = ValueTree<z.output<ReturnType<typeof licensingValues>>>;

export interface LicensingRbacProps {
  readonly identity: Identity;
  readonly component: string;
  /** The workload's own ServiceAccount, the only subject bound. */
  readonly serviceAccountName: ValueOrConstant<string>;
  readonly licensing: LicensingValues;
}

/**
 * What licensing clean-up needs, and no more: the licensing Secret pre-created (so the pod never needs
 * `create` on Secrets), and a namespaced Role bound to the workload's ServiceAccount that may read and
 * update that one Secret (by name) and read pods. `vendorRules` switches to the vendor's documented
 * broader rules for images that insist on creating the Secret themselves.
 */
export class LicensingRbac extends Construct {
  public readonly secretName: Value<string>;

  constructor(scope: Construct, id: string, props: LicensingRbacProps) {
    super(scope, id);
    const render = Render.of(this);
    const { identity, licensing } = props;
    this.secretName = identity.name(licensing.secretName);
    const roleName = identity.name(`${identity.props.name}-licensing`);

    render.when(licensing.cleanup, () => {
      new KubeObject(this, 'Secret', {
        apiVersion: 'v1',
        kind: 'Secret',
        // The application fills it; keep it on uninstall so a reinstall can still clean up zombie activations.
        metadata: identity.meta(licensing.secretName, props.component, { keptOnUninstall: true }),
        type: 'Opaque',
      });
      new KubeObject(this, 'Role', {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: identity.meta(`${identity.props.name}-licensing`, props.component),
        rules: [
          ...render.itemsIf(render.not(licensing.vendorRules), [
            { apiGroups: [''], resources: ['secrets'], resourceNames: [this.secretName], verbs: ['get', 'update', 'patch'] },
          ]),
          ...render.itemsIf(licensing.vendorRules, [
            { apiGroups: [''], resources: ['secrets'], verbs: ['create', 'update', 'get', 'list', 'patch'] },
          ]),
          { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] },
        ],
      });
      new KubeObject(this, 'RoleBinding', {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: identity.meta(`${identity.props.name}-licensing`, props.component),
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: roleName },
        subjects: [{ kind: 'ServiceAccount', name: props.serviceAccountName, namespace: render.release.namespace }],
      });
    });
  }
}
