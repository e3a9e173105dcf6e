/**
 * multisite-init values: the single source of truth for the construct's props type, values.yaml,
 * values.schema.json and the chart README's values table.
 */
import { z } from 'zod';
import type { MultisiteInitValues } from './values.generated';
import { commonFields, imageReference, resources } from '../../core/schema';
import { TEST_IMAGE, testValues } from '../../constructs/test-hook';
import { containerContext, podContext, podSecurityLevelValue, withPodSecurity } from '../../constructs/pod-security';
import { MULTISITE_MOUNT_PATH, multisiteJobValues, multisiteValues } from '../../constructs/multisite';
import { podValues, restrictedContainerSecurity, restrictedPodSecurity } from '../../constructs/pod';

const consumerDefaults = {
  image: TEST_IMAGE,
  resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '100m', memory: '32Mi' } },
};

/** The schema as zod types it; chart code uses multisiteInitValues, the same schema typed with the documented interfaces. */
export const multisiteInitValuesSchema = withPodSecurity(
  z
    .object({
      ...commonFields(),
      multisite: multisiteValues(),
      job: multisiteJobValues(),
      consumer: z
        .object({
          enabled: z.boolean().default(false).describe('Deploy multisite-consumer, a demo workload that mounts the kubeconfig read-only and is Ready once it is there.'),
          runWriter: z
            .boolean()
            .default(false)
            .describe('Also run the writer as an init container of the consumer (the init-container mode): each consumer start writes a fresh kubeconfig.'),
          image: imageReference().default(consumerDefaults.image).describe('Image of the demo consumer (needs sh).'),
          mountPath: z
            .string()
            .max(253)
            .regex(/^(\/[A-Za-z0-9._-]+)+$/)
            .default(MULTISITE_MOUNT_PATH)
            .describe('Directory the kubeconfig ConfigMap is mounted at; KUBECONFIG is <mountPath>/<multisite.key>.'),
          resources: resources(consumerDefaults.resources.requests, consumerDefaults.resources.limits),
        })
        .strict()
        .prefault({}),
      ...podValues(restrictedPodSecurity(1000), restrictedContainerSecurity(true)),
      tests: testValues('sh and grep'),
      podSecurityLevel: podSecurityLevelValue('restricted', 'Every pod of the chart meets restricted as shipped.'),
    })
    .strict(),
  [podContext(['podSecurityContext']), containerContext(['securityContext']), containerContext(['multisite', 'securityContext'])],
);

/** Values as a user writes them (every key optional): the props type of the MultisiteInit construct. */
export type MultisiteInitValuesInput = z.input<typeof multisiteInitValuesSchema>;

/** The values schema, typed with the documented interfaces (values.generated.ts), so a chart's values hover with each field's description and default. */
export const multisiteInitValues: z.ZodType<MultisiteInitValues, MultisiteInitValuesInput> = multisiteInitValuesSchema;
// The values a chart gets (defaults applied), each field documented: values.generated.ts, from multisiteInitValues by `npm run types`.
export type { MultisiteInitValues };
