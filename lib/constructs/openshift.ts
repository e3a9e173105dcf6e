/**
 * OpenShift: its `restricted-v2` SCC assigns each pod a user from the namespace's range
 * (`openshift.io/sa.scc.uid-range`) and an fsGroup from its group range, and refuses a pod that fixes
 * either outside them. So on a cluster that serves `security.openshift.io/v1` the charts leave runAsUser,
 * runAsGroup and fsGroup out of every security context (Bitnami's `adaptSecurityContext: auto`), while
 * runAsNonRoot, the dropped capabilities, the RuntimeDefault seccomp profile and allowPrivilegeEscalation
 * false stay. `global.compatibility.openshift.adaptSecurityContext` forces it either way. Raw synthesis
 * takes the same decision from the API versions it is given (RawChartProps.apiVersions, `--api-versions`),
 * as `helm template --api-versions` does.
 *
 * The images then run under an arbitrary uid and group 0, as OpenShift runs them: what they write must
 * be writable by group 0 (test/pods/openshift.test.ts runs the charts' pods so).
 */
import { Render, ValueOrConstant, Value, ValueTree } from '../core/template';

/** The API group/version whose presence says the cluster is OpenShift (Bitnami tests the same). */
export const OPENSHIFT_SECURITY_API = 'security.openshift.io/v1';

/** The security context fields restricted-v2 assigns itself and refuses outside its ranges. */
export const ASSIGNED_BY_OPENSHIFT = ['runAsUser', 'runAsGroup', 'fsGroup'] as const;

/** The `global` values every chart has (commonFields in core/schema). */
export type GlobalValues = ValueTree<{ compatibility: { openshift: { adaptSecurityContext: 'auto' | 'force' | 'disabled' } } }>;

/**
 * Whether the pods leave their user and groups to OpenShift: `force`, or `auto` on a cluster serving
 * security.openshift.io/v1. A named template `<templatePrefix>.adaptSecurityContext` in a chart.
 */
export function adaptsSecurityContext(render: Render, templatePrefix: string, global: GlobalValues): Value<boolean> {
  const mode = global.compatibility.openshift.adaptSecurityContext;
  return render.sharedCondition(`${templatePrefix}.adaptSecurityContext`, () =>
    render.or(render.eq(mode, 'force'), render.and(render.eq(mode, 'auto'), render.hasApiVersion(OPENSHIFT_SECURITY_API))),
  );
}

/** A pod or container security context as the pods get it: without the fields OpenShift assigns when `adapt` holds. */
export function adaptedSecurityContext<T extends object>(render: Render, adapt: unknown, context: ValueOrConstant<T>): ValueOrConstant<T> {
  return render.omitKeysIf(adapt, context, ASSIGNED_BY_OPENSHIFT);
}

/**
 * The pod annotation naming the SCC a pod must be admitted under (OpenShift 4.14+): for a pod that runs as
 * root by design, which restricted-v2 refuses; grant its ServiceAccount that SCC.
 */
export const REQUIRED_SCC_ANYUID = { 'openshift.io/required-scc': 'anyuid' } as const;
