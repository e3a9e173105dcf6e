/**
 * A CronJob that runs a clean-up statement against the product database on a schedule (the vendor's ICAP
 * chart has one for the data of inactive instances). The vendor's statement is not published, so the
 * chart runs no SQL of its own: the statement is a value, required when enabled, mounted from a ConfigMap
 * and run with `psql -v ON_ERROR_STOP=1 -f` (no shell, no env expansion of the SQL). The pod meets the
 * restricted Pod Security profile: non-root (the postgres image's uid 999), read-only root, no
 * capabilities, RuntimeDefault seccomp, no API token.
 */
import { Construct } from 'constructs';
import { z } from 'zod';
import { KubeObject } from '../../core/kube-object';
import { rule, TemplateRule } from '../../core/schema';
import { Render, ValueOrConstant, ValueTree } from '../../core/template';
import { Identity } from '../identity';
import { imageRef, PodValues, restrictedContainerSecurityContext, schedulingFields, secretEnv } from '../pod';
import { DatabaseValues } from '../postgres';
import { defineFeature } from '../feature';
import { bool, toInt, toStr } from '../../convert/engine';

/** One cron field: `*`, a value or a range, with an optional step; comma-separated lists of those. */
const cronField = (v: string) => {
  const item = `(\\*|${v}(-${v})?)(/[1-9][0-9]?)?`;
  return `${item}(,${item})*`;
};
/** A standard 5-field cron schedule (numeric fields within range; days of the week 0-6) or a @-macro, as a CronJob accepts. */
export const CRON_SCHEDULE = new RegExp(
  `^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|${[
    cronField('[0-5]?[0-9]'),
    cronField('([01]?[0-9]|2[0-3])'),
    cronField('(0?[1-9]|[12][0-9]|3[01])'),
    cronField('(0?[1-9]|1[0-2])'),
    cronField('[0-6]'),
  ].join(' ')})$`,
);

/** The first range of a schedule that starts after it ends (cron refuses 20-08), which the pattern cannot see. */
const backwardRange = (schedule: string): string | undefined =>
  schedule
    .split(' ')
    .flatMap((field) => field.split(','))
    .find((item) => {
      const [from, to] = item.split('/')[0]!.split('-');
      return to !== undefined && Number(from) > Number(to);
    });

/** A schedule: CRON_SCHEDULE, each range from low to high (in zod, and in the chart's template rules). */
const cronSchedule = () =>
  rule(z.string().max(200).regex(CRON_SCHEDULE), (s) => backwardRange(s) === undefined, {
    message: (s) => `the range ${backwardRange(s)} starts after it ends`,
    counterexample: '0 20-08 * * *',
    jsonSchema: new TemplateRule(
      'cronRanges',
      ({ refuse }) => `
{{- range $field := splitList " " $.value -}}
{{- range $item := splitList "," $field -}}
{{- $range := splitList "-" (first (splitList "/" $item)) -}}
{{- if and (eq (len $range) 2) (gt (atoi (first $range)) (atoi (last $range))) -}}
${refuse('(printf "the range %s starts after it ends" $item)')}
{{- end -}}
{{- end -}}
{{- end -}}`,
    ),
  });

/** Some text that is not blank (one class, so zod and Helm's Go regexp agree on what is blank). */
const SQL_TEXT = /[^\t\n\f\r ]/;

export const databaseCleanupValues = () =>
  rule(
    z
      .object({
        enabled: z.boolean().default(false).describe('Run sql against the product database on a schedule (a CronJob). Requires sql.'),
        schedule: cronSchedule().default('0 */12 * * *').describe('Cron schedule (5 fields, or @daily etc.), in the cluster\'s time zone.'),
        sql: z
          .string()
          .max(65536)
          .default('')
          .describe('The clean-up SQL, run with psql (ON_ERROR_STOP). The vendor\'s own statement is not published; write the one your version needs (e.g. from OPSWAT support).'),
        successfulJobsHistoryLimit: z.number().int().min(0).max(100).default(1).describe('Finished Jobs kept.'),
        failedJobsHistoryLimit: z.number().int().min(0).max(100).default(1).describe('Failed Jobs kept.'),
        activeDeadlineSeconds: z.number().int().min(10).max(86400).default(600).describe('Seconds a run may take before it is stopped.'),
      })
      .strict(),
    (c) => !c.enabled || SQL_TEXT.test(c.sql),
    {
      message: 'set databaseCleanup.sql when databaseCleanup.enabled',
      path: ['sql'],
      counterexample: { enabled: true, sql: '' },
      jsonSchema: { if: { properties: { enabled: { const: true } }, required: ['enabled'] }, then: { properties: { sql: { pattern: SQL_TEXT.source } } } },
    },
  ).prefault({});

export type DatabaseCleanupValues = ValueTree<z.output<ReturnType<typeof databaseCleanupValues>>>;

export interface DatabaseCleanupProps {
  readonly identity: Identity;
  readonly component: string;
  /** Product name of the CronJob ("mdicapsrv-db-cleanup"); its ConfigMap adds "-sql". */
  readonly name: string;
  readonly database: DatabaseValues;
  readonly host: ValueOrConstant<string>;
  readonly credentialsSecret: ValueOrConstant<string>;
  readonly values: DatabaseCleanupValues;
  readonly pod: Omit<PodValues, 'podSecurityContext'>;
}

export class DatabaseCleanup extends Construct {
  constructor(scope: Construct, id: string, props: DatabaseCleanupProps) {
    super(scope, id);
    const render = Render.of(this);
    const { identity, component, database: db, values: c } = props;
    render.when(c.enabled, () => {
      new KubeObject(this, 'Sql', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: identity.meta(`${props.name}-sql`, component),
        data: { 'cleanup.sql': c.sql },
      });
      new KubeObject(this, 'Schedule', {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: identity.meta(props.name, component),
        spec: {
          schedule: c.schedule,
          // A run still going when the next is due: skip the next, never run two at once.
          concurrencyPolicy: 'Forbid',
          successfulJobsHistoryLimit: c.successfulJobsHistoryLimit,
          failedJobsHistoryLimit: c.failedJobsHistoryLimit,
          jobTemplate: {
            spec: {
              backoffLimit: 2,
              activeDeadlineSeconds: c.activeDeadlineSeconds,
              template: {
                metadata: { labels: identity.selector(component) },
                spec: {
                  restartPolicy: 'Never',
                  automountServiceAccountToken: false,
                  securityContext: identity.securityContext({ runAsNonRoot: true, runAsUser: 999, runAsGroup: 999, seccompProfile: { type: 'RuntimeDefault' } }),
                  ...schedulingFields(identity, props.pod),
                  containers: [
                    {
                      name: 'cleanup',
                      image: imageRef(render, db.inCluster.image, db.inCluster.image.tag),
                      imagePullPolicy: db.inCluster.image.pullPolicy,
                      command: ['psql', '-v', 'ON_ERROR_STOP=1', '-f', '/etc/db-cleanup/cleanup.sql'],
                      env: [
                        { name: 'PGHOST', value: props.host },
                        { name: 'PGPORT', value: render.str(db.port) },
                        { name: 'PGDATABASE', value: db.name },
                        secretEnv('PGUSER', props.credentialsSecret, 'user'),
                        secretEnv('PGPASSWORD', props.credentialsSecret, 'password'),
                      ],
                      resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '200m', memory: '128Mi' } },
                      securityContext: restrictedContainerSecurityContext(render, true),
                      volumeMounts: [{ name: 'sql', mountPath: '/etc/db-cleanup', readOnly: true }],
                    },
                  ],
                  volumes: [{ name: 'sql', configMap: { name: identity.name(`${props.name}-sql`) } }],
                },
              },
            },
          },
        },
      });
    });
  }
}

/** The product database's clean-up CronJob (md-icapsrv). */
export const databaseCleanup = () =>
  defineFeature({
    name: 'database clean-up',
    values: { databaseCleanup: databaseCleanupValues() },
    objects: (ctx) => {
      new DatabaseCleanup(ctx.scope, 'DatabaseCleanup', {
        identity: ctx.identity,
        component: ctx.product.component,
        name: `${ctx.product.prefix}-db-cleanup`,
        database: ctx.values.database,
        host: ctx.database.host,
        credentialsSecret: ctx.database.credentials.secretName,
        values: ctx.own.databaseCleanup,
        pod: ctx.values,
      });
    },
    vendorRules: {
      'cleanup_db.enabled': (k) => {
        if (!bool(k)) return k.mapped('databaseCleanup.enabled', false);
        k.ctx.set('databaseCleanup.enabled', true);
        k.action('set databaseCleanup.sql to the clean-up statement for your version (the vendor\'s is not published); the CronJob needs it', { to: ['databaseCleanup.enabled', 'databaseCleanup.sql'] });
      },
      'cleanup_db.schedule': toStr('databaseCleanup.schedule'),
      'cleanup_db.successfulJobsHistoryLimit': toInt('databaseCleanup.successfulJobsHistoryLimit'),
      'cleanup_db.failedJobsHistoryLimit': toInt('databaseCleanup.failedJobsHistoryLimit'),
    },
    cases: [
      { name: 'database clean-up CronJob', values: { databaseCleanup: { enabled: true, schedule: '30 */6 * * 1-5', sql: "DELETE FROM instances WHERE last_seen < now() - interval '1 day';", successfulJobsHistoryLimit: 3 } } },
      { name: 'database clean-up against an external database', values: { database: { host: 'pg.example.internal', inCluster: { enabled: false } }, databaseCleanup: { enabled: true, schedule: '@daily', sql: 'SELECT 1;' } } },
    ],
  });
