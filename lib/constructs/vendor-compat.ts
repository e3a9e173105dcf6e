/**
 * Taking over a release of OPSWAT's own charts in place. Their Deployments select pods by `app: <name>`
 * only, and a Deployment's selector is immutable, so `helm upgrade` of such a release to this chart would
 * fail on it. With `compatibility.vendorSelectors` the product and database Deployments (and their
 * Services) keep selecting `app: <name>`; pods carry that label besides the standard ones, so the rollout
 * replaces the vendor's pods one by one like any upgrade (maxSurge 0: never a second licence activation).
 */
import { z } from 'zod';
import { rule } from '../core/schema';
import { Render, ValueOrConstant } from '../core/template';

export const compatibilityValues = () =>
  z
    .object({
      vendorSelectors: z
        .boolean()
        .default(false)
        .describe(
          'Select the pods of the product and database Deployments by `app: <name>`, as OPSWAT\'s own charts do, so a release of those charts can be upgraded in place to this one (Deployment selectors are immutable). Keep it on for the life of such a release.',
        ),
      vendorDatabaseLayout: z
        .boolean()
        .default(false)
        .describe(
          'Keep the in-cluster Postgres data at the root of its volume (PGDATA=/var/lib/postgresql/data), where the vendor\'s charts keep it, so a database claim taken over from them (database.inCluster.persistence.existingClaim) is used as it is.',
        ),
    })
    .strict()
    .prefault({});

/** The label the vendor's charts select pods by. */
export const VENDOR_SELECTOR_LABEL = 'app';

/**
 * Deployment and Service selector: `{app: name}` when `vendor` holds, else `standard`; and the labels the
 * pods need on top of the standard ones.
 */
export function compatibleSelector(render: Render, vendor: unknown, name: ValueOrConstant<string>, standard: Record<string, ValueOrConstant<string>>) {
  return {
    selector: { ...render.fieldsIf(vendor, { [VENDOR_SELECTOR_LABEL]: name }), ...render.fieldsIf(render.not(vendor), standard) },
    podLabels: render.fieldsIf(vendor, { [VENDOR_SELECTOR_LABEL]: name }),
  };
}

interface CompatRoot {
  compatibility: { vendorSelectors: boolean };
  podLabels: Record<string, string>;
}

/** With vendor selectors the chart owns the pods' `app` label: podLabels must not set it. */
export function withCompatibilityRules<T extends z.ZodType<CompatRoot>>(schema: T): T {
  return rule(schema, (v) => !v.compatibility.vendorSelectors || !(VENDOR_SELECTOR_LABEL in v.podLabels), {
    message: `podLabels.${VENDOR_SELECTOR_LABEL} is set by the chart when compatibility.vendorSelectors is on`,
    path: ['podLabels', VENDOR_SELECTOR_LABEL],
    counterexample: { compatibility: { vendorSelectors: true }, podLabels: { [VENDOR_SELECTOR_LABEL]: 'x' } } as never,
    jsonSchema: {
      if: { properties: { compatibility: { properties: { vendorSelectors: { const: true } }, required: ['vendorSelectors'] } }, required: ['compatibility'] },
      then: { properties: { podLabels: { not: { required: [VENDOR_SELECTOR_LABEL] } } } },
    },
  });
}
