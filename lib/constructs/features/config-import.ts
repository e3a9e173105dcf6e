/**
 * A configuration export imported at every start: a file from a ConfigMap or Secret the user creates,
 * mounted as one file (subPath), and its password from the settings Secret (or the user's). Each product
 * names the file and password env its own way (`coreConfigImport`, `icapConfigImport`).
 */
import { Construct } from 'constructs';
import { z } from 'zod';
import { dnsName, optionalSecretName, rule } from '../../core/schema';
import { Render, ValueTree } from '../../core/template';
import { EnvVar } from '../pod';
import { secretText, SETTINGS_KEYS, SettingsSecret } from '../settings-secret';
import { defineFeature, NamedCase, PodPart, ProductNames } from '../feature';
import { ABS_PATH, ifEnabled, KEY, optionalHost } from './common';
import type { PodSecurityPlace } from '../pod-security';
import { bool, Key, Rule, secretValue, shellWords, str, to, toBool, toStr, whenOn } from '../../convert/engine';

/**
 * A configuration export imported at every start: a file from a ConfigMap or Secret the user creates,
 * mounted as one file (subPath), and its password. `extra` adds the product's own fields.
 */
export const configImportValues = <E extends z.ZodRawShape>(prefix: string, d: { key: string; directory: string }, extra: E) =>
  rule(
    z
      .object({
        enabled: z.boolean().default(false).describe('Import a configuration export at every start.'),
        source: z
          .object({
            kind: z
              .enum(IMPORT_SOURCES)
              .default('ConfigMap')
              .describe(
                'Where the file is: a ConfigMap, a Secret (when the export holds secrets), a PersistentVolumeClaim, or an NFS export (NFS volumes break Pod Security restricted: needs podSecurityLevel baseline; else bind the export to a claim). On a volume the file must be readable by the pod\'s uid (fsGroup does not reach NFS).',
              ),
            name: z.union([z.literal(''), dnsName()]).default('').describe('Name of the ConfigMap, Secret or PersistentVolumeClaim; required when enabled, except for NFS (e.g. kubectl create configmap <name> --from-file=<key>=export.zip).'),
            key: z.string().min(1).max(253).regex(KEY).default(d.key).describe('Key of the file in the ConfigMap or Secret, or its name at the root of the claim or export; also its file name.'),
            server: optionalHost().default('').describe('NFS server (kind NFS); required then.'),
            path: z.string().max(1024).regex(ABS_PATH).default('/').describe('Exported directory holding the file (kind NFS).'),
          })
          .strict()
          .prefault({}),
        directory: z.string().max(253).regex(ABS_PATH).default(d.directory).describe('Directory the file is mounted into (only the file is mounted; the directory keeps its content).'),
        password: secretText(prefix, SETTINGS_KEYS.configImportPassword, 'Password of the export'),
        existingSecret: optionalSecretName().default('').describe(`Secret with key "${SETTINGS_KEYS.configImportPassword}" to use instead of password.`),
        ...extra,
      })
      .strict(),
    (v) => {
      const c = v as unknown as ConfigImportCommon;
      return !c.enabled || (c.source.kind === 'NFS' ? c.source.server !== '' : c.source.name !== '');
    },
    {
      message: 'set configImport.source.name (source.server for kind NFS) when configImport.enabled',
      path: ['source'],
      counterexample: { enabled: true, source: { name: '' } } as never,
      jsonSchema: {
        ...ifEnabled,
        then: {
          properties: {
            source: {
              if: { properties: { kind: { const: 'NFS' } }, required: ['kind'] },
              then: { properties: { server: { minLength: 1 } } },
              else: { properties: { name: { minLength: 1 } } },
            },
          },
        },
      },
    },
  ).prefault({} as never);

/** Where an imported file can be: an object holding it, or a volume with it at its root. */
export const IMPORT_SOURCES = ['ConfigMap', 'Secret', 'PersistentVolumeClaim', 'NFS'] as const;

/** Pod Security: restricted admits no nfs volume (a claim bound to the export is admitted). */
export const configImportPodSecurity: PodSecurityPlace = {
  path: ['configImport', 'source', 'kind'],
  what: 'configImport.source.kind NFS mounts an nfs volume, which restricted refuses (bind the export to a PersistentVolumeClaim instead)',
  require: { baseline: {}, restricted: { not: { const: 'NFS' } } },
  breaks: { baseline: null, restricted: 'NFS' },
};

interface ConfigImportCommon {
  enabled: boolean;
  source: { kind: string; name: string; key: string; server: string; path: string };
  directory: string;
  password: string;
  existingSecret: string;
}

/** The volume of the export in the product pod. */
const VOLUME = 'config-import';

/** The mounted export: its path, volume and mount, and its password env (under `passwordEnv`). */
export function configImport(scope: Construct, settings: SettingsSecret, ci: ValueTree<ConfigImportCommon>, passwordEnv: string) {
  const render = Render.of(scope);
  const password = settings.ref(SETTINGS_KEYS.configImportPassword, { value: ci.password, enabled: ci.enabled, existingSecret: ci.existingSecret });
  const path = `${ci.directory}/${ci.source.key}`;
  const items = [{ key: ci.source.key, path: ci.source.key }];
  return {
    path,
    env: render.itemsIf(render.and(ci.enabled, render.or(ci.password, ci.existingSecret)), [{ name: passwordEnv, valueFrom: password }]),
    volumeMounts: render.itemsIf(ci.enabled, [{ name: VOLUME, mountPath: path, subPath: ci.source.key, readOnly: true }]),
    volumes: render.itemsIf(ci.enabled, [
      {
        name: VOLUME,
        ...render.fieldsIf(render.eq(ci.source.kind, 'ConfigMap'), { configMap: { name: ci.source.name, items } }),
        ...render.fieldsIf(render.eq(ci.source.kind, 'Secret'), { secret: { secretName: ci.source.name, items } }),
        ...render.fieldsIf(render.eq(ci.source.kind, 'PersistentVolumeClaim'), { persistentVolumeClaim: { claimName: ci.source.name, readOnly: true } }),
        ...render.fieldsIf(render.eq(ci.source.kind, 'NFS'), { nfs: { server: ci.source.server, path: ci.source.path, readOnly: true } }),
      },
    ]),
  };
}

/** The feature of a product: its file's default key, its env after the file path (`env`), its extra values and cases. */
function configImportFeature<E extends z.ZodRawShape>(
  p: ProductNames,
  d: { key: string; description: string; passwordEnv: string; extra: E; vendorRules: Record<string, Rule>; cases: NamedCase[] },
  env: (ci: ValueTree<z.output<z.ZodObject<E>>> & ValueTree<ConfigImportCommon>, path: string, render: Render) => EnvVar[],
) {
  const values = { configImport: configImportValues(p.prefix, { key: d.key, directory: '/opt/opswat' }, d.extra).describe(d.description) };
  return defineFeature({
    name: 'configuration import',
    values,
    secretEnv: { configImportPassword: d.passwordEnv },
    reserves: { volumes: [VOLUME] },
    pod: ({ scope, render, settings, own }): PodPart => {
      const ci = own.configImport as unknown as ValueTree<z.output<z.ZodObject<E>>> & ValueTree<ConfigImportCommon>;
      const imported = configImport(scope, settings, ci, d.passwordEnv);
      return { env: [...env(ci, imported.path, render), ...imported.env], volumeMounts: imported.volumeMounts, volumes: imported.volumes };
    },
    vendorRules: d.vendorRules,
    cases: d.cases,
  });
}

/** The vendor's import password: into the Secret `<prefix>-config-import`, which configImport.existingSecret names. */
const importPassword = (p: ProductNames) =>
  secretValue({ secret: `${p.prefix}-config-import`, key: SETTINGS_KEYS.configImportPassword, existingSecret: 'configImport.existingSecret', what: 'configuration import password', vendorSecretExists: false });

/** Where their NFS example copies the export, and their chart points the older CONFIG_IMPORT_FILE. */
const VENDOR_IMPORT_DIR = '/opt/ometascan/system/export_config';

const forceUpdateYara: Rule = (k) => (k.value === '' ? k.notNeeded('empty: the default') : k.mapped('configImport.forceUpdateYara', bool(k)));

/** MDCORE_CONFIG_IMPORT_FILE (`path`, in the pod): ours mounts the file there from a ConfigMap, Secret, claim or NFS export. */
const coreImportFile =
  (p: ProductNames) =>
  (k: Key, path: string): void => {
    if (path === '') return k.notNeeded('empty: no import');
    const slash = path.lastIndexOf('/');
    const configMap = `${p.prefix}-config-import`;
    k.ctx.set('configImport.enabled', true);
    k.ctx.set('configImport.directory', path.slice(0, slash) || '/');
    k.ctx.set('configImport.source.key', path.slice(slash + 1));
    // The ConfigMap the command below creates: our schema needs a source while the import is on.
    k.ctx.set('configImport.source.name', configMap);
    k.action(`ours mounts the export from a ConfigMap, Secret, PersistentVolumeClaim or NFS export: create the ConfigMap ${configMap} holding the file (or set configImport.source to yours: kind Secret, PersistentVolumeClaim with the file at the claim's root, or NFS with server and path)`, {
      to: ['configImport.enabled', 'configImport.directory', 'configImport.source.key', 'configImport.source.name'],
      command: shellWords(['kubectl', '-n', k.ctx.opts.namespace, 'create', 'configmap', configMap, `--from-file=${path.slice(slash + 1)}=<the exported .zip>`]),
    });
  };

/** md-core: MDCORE_CONFIG_IMPORT_FILE, MDCORE_IMPORT_FORCE_UPDATE_YARA, MDCORE_CONFIG_IMPORT_PASSWORD. */
export const coreConfigImport = (p: ProductNames) =>
  configImportFeature(
    p,
    {
      key: 'config.zip',
      description: 'Import a configuration export (.zip) at every start (MDCORE_CONFIG_IMPORT_FILE, MDCORE_CONFIG_IMPORT_PASSWORD).',
      passwordEnv: 'MDCORE_CONFIG_IMPORT_PASSWORD',
      extra: { forceUpdateYara: z.boolean().default(false).describe('Force-update the YARA rules on import (MDCORE_IMPORT_FORCE_UPDATE_YARA).') },
      vendorRules: {
        'env.MDCORE_CONFIG_IMPORT_FILE': (k) => coreImportFile(p)(k, str(k)),
        'env.MDCORE_CONFIG_IMPORT_PASSWORD': importPassword(p),
        'env.MDCORE_IMPORT_FORCE_UPDATE_YARA': forceUpdateYara,
        // The older spelling, top-level, which their chart passes in the ignition JSON: a file name in the
        // directory their NFS example copies the export to.
        CONFIG_IMPORT_FILE: (k) => {
          const file = str(k);
          coreImportFile(p)(k, file === '' || file.includes('/') ? file : `${VENDOR_IMPORT_DIR}/${file}`);
        },
        CONFIG_IMPORT_PASSWORD: importPassword(p),
        IMPORT_FORCE_UPDATE_YARA: forceUpdateYara,
      },
      cases: [
        { name: 'configuration import with a password, forcing YARA updates', values: { configImport: { enabled: true, source: { name: 'core-config' }, password: 'zip', forceUpdateYara: true } } },
        { name: 'configuration import from a Secret without a password', values: { configImport: { enabled: true, source: { kind: 'Secret', name: 'core-export', key: 'export.zip' } } } },
        { name: 'configuration import from a file on a PersistentVolumeClaim', values: { configImport: { enabled: true, source: { kind: 'PersistentVolumeClaim', name: 'config-exports', key: 'settings_export_package.zip' }, password: 'zip' } } },
        {
          name: 'configuration import from an NFS export, as non-root under baseline',
          values: { podSecurityLevel: 'baseline', configImport: { enabled: true, source: { kind: 'NFS', server: 'nfs.example.com', path: '/exports/mdcore', key: 'settings_export_package.zip' }, existingSecret: 'import-pass' } },
        },
      ],
    },
    (ci, path, render) => [
      ...render.itemsIf(ci.enabled, [{ name: 'MDCORE_CONFIG_IMPORT_FILE', value: path }]),
      ...render.itemsIf(render.and(ci.enabled, ci.forceUpdateYara), [{ name: 'MDCORE_IMPORT_FORCE_UPDATE_YARA', value: 'true' }]),
    ],
  );

/** md-icapsrv: IMPORT_CONF_FILE, IMPORT_CONF_FILE_TARGET, IMPORT_CONFIG_FILE_PASS. */
export const icapConfigImport = (p: ProductNames) =>
  configImportFeature(
    p,
    {
      key: 'settings_export_package.zip',
      description: 'Import a configuration export at every start (IMPORT_CONF_FILE, IMPORT_CONF_FILE_TARGET, IMPORT_CONFIG_FILE_PASS).',
      passwordEnv: 'IMPORT_CONFIG_FILE_PASS',
      extra: {
        targets: z
          .array(z.string().min(1).max(64).regex(/^[a-z][a-z0-9_]*$/))
          .min(1)
          .default(['settings'])
          .describe('Parts of the export to import (IMPORT_CONF_FILE_TARGET), e.g. settings.'),
      },
      vendorRules: (() => {
        const at = `${p.vendorKey}.import_configuration`;
        const importOn = (rule: Rule) => whenOn(`${at}.enabled`, 'configuration import', rule);
        return {
          [`${at}.enabled`]: toBool('configImport.enabled'),
          [`${at}.targets`]: importOn(to('configImport.targets')),
          [`${at}.importConfigMap`]: importOn(toStr('configImport.source.name')),
          [`${at}.importConfigPath`]: importOn(toStr('configImport.directory')),
          [`${at}.importConfigMapSubPath`]: importOn(toStr('configImport.source.key')),
          [`${at}.importConfigFilePass`]: importOn(importPassword(p)),
        };
      })(),
      cases: [
        { name: 'configuration import from a ConfigMap with a password', values: { configImport: { enabled: true, source: { name: 'icap-settings' }, targets: ['settings', 'policies'], password: 'zip-pass' } } },
        { name: 'configuration import from a Secret, password in an existing Secret', values: { configImport: { enabled: true, source: { kind: 'Secret', name: 'icap-export', key: 'export.zip' }, directory: '/import', existingSecret: 'import-pass' } } },
        { name: 'configuration import from a file on a PersistentVolumeClaim', values: { configImport: { enabled: true, source: { kind: 'PersistentVolumeClaim', name: 'icap-exports' } } } },
        { name: 'configuration import from an NFS export under baseline', values: { podSecurityLevel: 'baseline', configImport: { enabled: true, source: { kind: 'NFS', server: '10.0.0.5' } } } },
      ],
    },
    (ci, path, render) =>
      render.itemsIf(ci.enabled, [
        { name: 'IMPORT_CONF_FILE', value: path },
        { name: 'IMPORT_CONF_FILE_TARGET', value: render.json(ci.targets) },
      ]),
  );
