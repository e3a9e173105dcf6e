/**
 * Credentials generated once, inside the cluster, and kept.
 *
 * The chart declares each Secret that has generated keys with only the values the user gave, and lists the
 * keys to generate in its `chart-as-code/generate` annotation. A Job runs a short POSIX sh script with
 * kubectl that fills in every listed key that is missing, from /dev/urandom, and never changes a key that
 * exists. Its ServiceAccount may `get` and `patch` those Secrets by name and nothing else.
 *
 * Why this design (and not Helm's `lookup` + `randAlphaNum`): nothing random is rendered, so every
 * synthesis and every `helm template` of the same values gives the same bytes and no credential lands in
 * dist/, in a GitOps repository or in a Helm release record; and because no manifest ever holds a
 * generated key, neither Helm's three-way merge, `kubectl apply` (client- or server-side), Argo CD nor Flux
 * ever removes or rewrites one: each of them only manages the fields it rendered.
 *
 * Ordering: pods that read a credential cannot start before the key exists (the kubelet retries
 * CreateContainerConfigError until the Job has run). Under Argo CD the sync waves order it outright:
 * the Secrets and the Job's RBAC (wave -2), the Job as a Sync hook (wave -1), then everything else.
 */
import { createHash } from 'node:crypto';
import { Construct } from 'constructs';
import { z } from 'zod';
import { KubeObject } from '../core/kube-object';
import { shellScript } from '../core/shell-script';
import { image, resources } from '../core/schema';
import { Render, ValueOrConstant, ValueTree } from '../core/template';
import { Identity } from './identity';
import { imageRef, PodValues, restrictedContainerSecurityContext, schedulingFields } from './pod';
import { ARGO_BEFORE_GENERATOR, ARGO_GENERATOR_WAVE, GENERATE_ANNOTATION, ManagedSecret, PREVIOUS_KEY_PREFIX } from './secret';

/** The generator's default image: anything with sh, kubectl, tr, head and base64 will do. */
export const CREDENTIAL_GENERATOR_IMAGE = { repository: 'alpine/k8s', tag: '1.33.4' };

/**
 * The generator script (credentials-generate.sh, POSIX sh). Arguments: Secret names. For each Secret it reads (kubectl's jsonpath, whose single
 * braces a chart template prints as they are) the resourceVersion, the `chart-as-code/generate`
 * annotation (`key:charset:length,...`) and the keys present; a missing key gets
 * the value an upgrade carried over from an older chart version (`previous.<key>`), or a new random one.
 * The patch is a merge patch conditioned on that resourceVersion, so a concurrent writer makes it re-read
 * rather than overwrite. A Secret without the annotation is not one this chart generates: it is left
 * alone and the script exits non-zero. Values are never printed, and never passed as an argument (any
 * process could read them in /proc/<pid>/cmdline): the patch goes to kubectl on its stdin.
 *
 * Every value it writes or keeps is checked, because a bad one would be kept forever: a new value must
 * have the full length from its charset (a failing /dev/urandom, tr or head gives a short or empty one;
 * dash has no pipefail, so the length is the check), else the script stops before writing anything more.
 * An empty value (as an older generator wrote when its random source failed) counts as missing. A kept one
 * shorter than its declared length is refused, not replaced: the generator only runs for keys not given
 * in the values, so it was truncated or hand-edited, and the product may already use it; a person decides
 * (delete the key to have it generated, or give it in the values). Its charset is not checked: a
 * value a person set may hold any character.
 */
export const CREDENTIAL_GENERATOR_SCRIPT = shellScript(__dirname, 'credentials-generate.sh');

// The script names the annotation and the carried-over prefix literally (it is a plain file, not a template).
for (const literal of [GENERATE_ANNOTATION, PREVIOUS_KEY_PREFIX]) {
  if (!CREDENTIAL_GENERATOR_SCRIPT.includes(literal)) throw new Error(`credentials-generate.sh does not use ${literal}`);
}

/** The generator's own component: its pods must never match the product's Service or Deployment selectors. */
const COMPONENT = 'credential-generator';

/** Stands for the script in the Job's name hash: a new script version is a new Job. */
const SCRIPT_DIGEST = createHash('sha256').update(CREDENTIAL_GENERATOR_SCRIPT).digest('hex');

/** Values of the generator Job. */
export const credentialGeneratorValues = () => {
  const d = {
    image: { ...CREDENTIAL_GENERATOR_IMAGE, digest: '', pullPolicy: 'IfNotPresent' as const },
    resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '200m', memory: '128Mi' } },
  };
  return z
    .object({
      image: image(d.image.repository, d.image.tag).describe('Image of the Job that generates missing credentials in the cluster (needs sh, kubectl, tr, head, base64).'),
      resources: resources(d.resources.requests, d.resources.limits),
    })
    .strict()
    .prefault({})
    .describe('The Job that generates each credential not given (and without existingSecret) once, inside the cluster.');
};

export type CredentialGeneratorValues = ValueTree<z.output<ReturnType<typeof credentialGeneratorValues>>>;

export interface CredentialGeneratorProps {
  readonly identity: Identity;
  /** Product name of the ServiceAccount, Role and RoleBinding; the Job adds a hash ("mdicapsrv-credentials"). */
  readonly name: string;
  /** The Secrets whose missing keys it fills (those created here with keys to generate). */
  readonly secrets: readonly ManagedSecret[];
  readonly values: CredentialGeneratorValues;
  /** Scheduling and pull secrets of the product, so the Job runs where the product may. */
  readonly pod: Omit<PodValues, 'podSecurityContext'>;
}

/**
 * The Job that fills in generated credentials, its ServiceAccount, and a Role that may `get` and `patch`
 * exactly the Secrets it fills. Nothing is created when no Secret needs it (all given or existingSecret).
 * The Job's name ends in a hash of everything its pod runs, so a changed Job is a new Job: a Job's pod
 * template is immutable, and `kubectl apply` or `helm upgrade` of a changed one would fail.
 */
export class CredentialGenerator extends Construct {
  constructor(scope: Construct, id: string, props: CredentialGeneratorProps) {
    super(scope, id);
    const render = Render.of(this);
    const { identity, values: v } = props;
    const prefix = `${identity.props.templatePrefix}.${props.name}`;
    const names = render.sharedList(`${prefix}.secrets`, {}, () => props.secrets.flatMap((s) => render.itemsIf(s.needsGenerator, [s.ownName])));
    const needed = render.sharedCondition(`${prefix}.needed`, () => render.or(...props.secrets.map((s) => s.needsGenerator)));
    const name = identity.name(props.name);
    const meta = (base: string, annotations: Record<string, string>) => identity.meta(base, COMPONENT, { annotations });
    const image = imageRef(render, v.image, v.image.tag);
    const hash = render.checksum(
      {
        image,
        pullPolicy: v.image.pullPolicy,
        resources: render.json(v.resources),
        ...Object.fromEntries(props.secrets.map((s, i) => [`secret${i}`, render.ifElse(s.needsGenerator, s.ownName, '')])),
        pod: render.json([props.pod.imagePullSecrets, props.pod.nodeSelector, props.pod.tolerations, props.pod.affinity, props.pod.priorityClassName]),
        script: SCRIPT_DIGEST,
      },
      { length: 8, name: `${prefix}.jobHash` },
    );

    render.when(needed, () => {
      new KubeObject(this, 'ServiceAccount', {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: meta(props.name, ARGO_BEFORE_GENERATOR),
        automountServiceAccountToken: false,
      });
      new KubeObject(this, 'Role', {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: meta(props.name, ARGO_BEFORE_GENERATOR),
        // By name only: `create` cannot be limited to names, which is why the chart creates the Secrets.
        rules: [{ apiGroups: [''], resources: ['secrets'], resourceNames: names, verbs: ['get', 'patch'] }],
      });
      new KubeObject(this, 'RoleBinding', {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: meta(props.name, ARGO_BEFORE_GENERATOR),
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
        subjects: [{ kind: 'ServiceAccount', name, namespace: render.release.namespace }],
      });
      new KubeObject(this, 'Job', {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: meta(`${props.name}-${hash}`, {
          ...ARGO_GENERATOR_WAVE,
          // A Sync hook, so Argo CD runs it on every sync and does not report it missing once it is gone.
          'argocd.argoproj.io/hook': 'Sync',
          'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
        }),
        spec: {
          backoffLimit: 6,
          activeDeadlineSeconds: 600,
          ttlSecondsAfterFinished: 86400,
          template: generatorPod(render, props, { name, image, secrets: names }),
        },
      });
    });
  }
}

/** The generator's pod: the script, run as nobody on a read-only root with the generator's own token. */
function generatorPod(render: Render, props: CredentialGeneratorProps, job: { name: ValueOrConstant<string>; image: ValueOrConstant<string>; secrets: unknown }) {
  const { identity, values: v } = props;
  return {
    // Selector labels only: the pod template must not change unless the hash in the name does.
    metadata: { labels: identity.selector(COMPONENT) },
    spec: {
      restartPolicy: 'Never',
      serviceAccountName: job.name,
      automountServiceAccountToken: true,
      securityContext: identity.securityContext({ runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, seccompProfile: { type: 'RuntimeDefault' } }),
      ...schedulingFields(identity, props.pod),
      containers: [
        {
          name: 'generate',
          image: job.image,
          imagePullPolicy: v.image.pullPolicy,
          command: ['sh', '-c', CREDENTIAL_GENERATOR_SCRIPT, 'credential-generator'],
          args: job.secrets,
          env: [{ name: 'HOME', value: '/tmp' }],
          resources: v.resources,
          securityContext: restrictedContainerSecurityContext(render, true),
          volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
        },
      ],
      volumes: [{ name: 'tmp', emptyDir: {} }],
    },
  };
}
