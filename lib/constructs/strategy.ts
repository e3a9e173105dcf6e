/**
 * Upgrade strategies of the MetaDefender products, as values: rolling update (maxSurge and maxUnavailable
 * never both zero), recreate, and blue-green with its two slots; and the rules they set on the rest of the
 * values (readiness for rolling and blue-green, no autoscaler on two slots).
 */
import { z } from 'zod';
import { imageTag, rule } from '../core/schema';
import { ValueTree } from '../core/template';

const intOrPercent = () => z.union([z.number().int().min(0), z.string().regex(/^(100|[1-9]?[0-9])%$/)]);
const isZero = (v: number | string) => v === 0 || v === '0%';

export const SLOTS = ['blue', 'green'] as const;
export type Slot = (typeof SLOTS)[number];
/** The pod label that tells the slots apart; the Services select on it. */
export const SLOT_LABEL = 'chart-as-code/slot';

const slotValues = (replicas: number) =>
  z
    .object({
      imageTag: z
        .union([z.literal(''), imageTag()])
        .default('')
        .describe('Image tag of this slot, a full version; empty for image.tag (and image.digest).'),
      replicas: z.number().int().min(0).max(100).default(replicas).describe('Pods of this slot; scale the idle slot to 0 after a switch.'),
    })
    .strict()
    .prefault({});

/**
 * strategy: RollingUpdate (maxSurge and maxUnavailable never both zero), Recreate, or BlueGreen.
 */
export const upgradeStrategyValues = (maxSurge: number | string, maxUnavailable: number | string) => {
  return rule(
    z
      .object({
        type: z
          .enum(['RollingUpdate', 'Recreate', 'BlueGreen'])
          .default('RollingUpdate')
          .describe(
            'RollingUpdate replaces pods gradually, gated by readiness; Recreate stops every old pod first; BlueGreen runs two slots and the Service follows blueGreen.activeSlot.',
          ),
        rollingUpdate: z
          .object({
            maxSurge: intOrPercent().default(maxSurge).describe('Pods above the desired count during an update (integer or percent).'),
            maxUnavailable: intOrPercent().default(maxUnavailable).describe('Pods that may be unavailable during an update (integer or percent).'),
          })
          .strict()
          .prefault({}),
        blueGreen: z
          .object({
            activeSlot: z.enum(SLOTS).default('blue').describe('Slot the main Service sends traffic to; the preview Service selects the other.'),
            blue: slotValues(1),
            green: slotValues(0),
          })
          .strict()
          .prefault({}),
      })
      .strict(),
    // BlueGreen slots roll too (upgradable-deployment.ts), with the same rollingUpdate.
    (s) => s.type === 'Recreate' || !(isZero(s.rollingUpdate.maxSurge) && isZero(s.rollingUpdate.maxUnavailable)),
    {
      message: 'maxSurge and maxUnavailable cannot both be zero (RollingUpdate, and the BlueGreen slots, roll with them)',
      path: ['rollingUpdate', 'maxUnavailable'],
      counterexample: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: '0%' } },
      jsonSchema: {
        not: {
          properties: {
            type: { enum: ['RollingUpdate', 'BlueGreen'] },
            rollingUpdate: {
              properties: { maxSurge: { enum: [0, '0%'] }, maxUnavailable: { enum: [0, '0%'] } },
              required: ['maxSurge', 'maxUnavailable'],
            },
          },
          required: ['rollingUpdate'],
        },
      },
    },
  ).prefault({});
};

export type UpgradeStrategy = ValueTree<z.output<ReturnType<typeof upgradeStrategyValues>>>;

interface StrategyRoot {
  strategy: z.output<ReturnType<typeof upgradeStrategyValues>>;
  readinessProbe: { enabled: boolean };
  autoscaling: { enabled: boolean };
}

/**
 * Rules across the root values of a system with an upgrade strategy: rolling and blue-green upgrades
 * need a readiness probe (traffic must only reach ready pods), and an autoscaler cannot drive two slots.
 */
export function withStrategyRules<T extends z.ZodType<StrategyRoot>>(schema: T): T {
  const needsReadiness = rule(schema, (v) => v.strategy.type === 'Recreate' || v.readinessProbe.enabled, {
    message: 'RollingUpdate and BlueGreen need the readiness probe (readinessProbe.enabled), so traffic only reaches ready pods',
    path: ['readinessProbe', 'enabled'],
    counterexample: { strategy: { type: 'RollingUpdate' }, readinessProbe: { enabled: false } } as never,
    jsonSchema: {
      if: { properties: { strategy: { properties: { type: { enum: ['RollingUpdate', 'BlueGreen'] } }, required: ['type'] } }, required: ['strategy'] },
      then: { properties: { readinessProbe: { properties: { enabled: { const: true } } } } },
    },
  });
  return rule(needsReadiness, (v) => v.strategy.type !== 'BlueGreen' || !v.autoscaling.enabled, {
    message: 'autoscaling cannot drive two blue-green slots; set each slot\'s replicas instead',
    path: ['autoscaling', 'enabled'],
    counterexample: { strategy: { type: 'BlueGreen' }, autoscaling: { enabled: true } } as never,
    jsonSchema: {
      if: { properties: { strategy: { properties: { type: { const: 'BlueGreen' } }, required: ['type'] } }, required: ['strategy'] },
      then: { properties: { autoscaling: { properties: { enabled: { const: false } } } } },
    },
  });
}

