/**
 * The SV server's security contexts, as `runAsRoot` decides them: root as the vendor documents, or the
 * newer images' sv-server user (uid/gid 1234); on OpenShift root needs the anyuid SCC, which the pod names.
 */
import { Identity } from '../../constructs/identity';
import { REQUIRED_SCC_ANYUID } from '../../constructs/openshift';
import { Render, ValueTree } from '../../core/template';

export type SvSecurityValues = ValueTree<{
  runAsRoot: boolean;
  podSecurityContext: Record<string, unknown>;
  securityContext: Record<string, unknown>;
  podAnnotations: Record<string, string>;
}>;

/** The pod's and the container's security context, and the pod's annotations with the SCC root needs. */
export function svSecurity(render: Render, identity: Identity, v: SvSecurityValues) {
  // Root as the vendor documents, or the newer images' sv-server user (on OpenShift the uid and groups
  // it assigns); the user's extra fields are merged in (the schema keeps them off the keys decided here).
  const pod = render.withEntriesOf(
    {
      ...render.fieldsIf(v.runAsRoot, { runAsUser: 0, runAsGroup: 0, runAsNonRoot: false }),
      ...render.fieldsIf(render.not(v.runAsRoot), identity.securityContext({ runAsUser: 1234, runAsGroup: 1234, fsGroup: 1234, runAsNonRoot: true })),
    },
    v.podSecurityContext,
  );
  // Root is not OpenShift's to assign: restricted-v2 refuses uid 0, so the pod names the SCC it needs
  // (OpenShift 4.14+ admits it only with that SCC and says so), rather than failing on whichever SCC matched.
  const needsAnyuid = render.and(v.runAsRoot, identity.adaptsSecurityContext());
  const annotations = render.mergeMaps(render.ifElse(needsAnyuid, REQUIRED_SCC_ANYUID as never, {} as never), v.podAnnotations);
  const container = render.withEntriesOf(
    {
      ...render.fieldsIf(v.runAsRoot, { runAsNonRoot: false }),
      ...render.fieldsIf(render.not(v.runAsRoot), { runAsNonRoot: true, capabilities: { drop: ['ALL'] } }),
    },
    v.securityContext,
  );
  return { pod, container, podMetadata: render.fieldsIf(render.or(v.podAnnotations, needsAnyuid), { annotations: render.checkAnnotations(annotations, 'podAnnotations') }) };
}
