/**
 * Product data on a PersistentVolumeClaim (created, or the user's), mounted only while persistence is on:
 * an emptyDir would hide what the image keeps at that path. md-core's path is a value (`storagePath`,
 * STORAGE_PATH); md-icapsrv's is fixed.
 */
import { z } from 'zod';
import { ValueOrConstant } from '../../core/template';
import { defineFeature, FeatureContext, FeatureValues, PodPart, ProductNames } from '../feature';
import { claimVolume, persistenceValues } from '../volume';
import { ABS_PATH } from './common';
import { isMap, Map, Rule, shellWords, str, toBool, toStr, VendorValueError } from '../../convert/engine';

const productPersistenceValues = (what: string) =>
  persistenceValues({
    enabled: false,
    size: '10Gi',
    enabledDescription: `Keep ${what} on a PersistentVolumeClaim (ReadWriteOnce: every pod of the release mounts it, so they must share a node, or give existingClaim of a ReadWriteMany class).`,
  });

/** The volume of the claim in the product pod. */
const VOLUME = 'product-data';

type Persistence = FeatureValues<{ persistence: ReturnType<typeof productPersistenceValues> }>;

/** The claim `claim` mounted at `mountPath`. */
function dataVolume(ctx: FeatureContext<Persistence>, claim: string, mountPath: ValueOrConstant<string>): PodPart {
  const { render, own } = ctx;
  const volumes = claimVolume(ctx.scope, 'DataClaim', { identity: ctx.identity, name: claim, component: ctx.product.component, persistence: own.persistence, volumeName: VOLUME });
  return {
    volumeMounts: render.itemsIf(own.persistence.enabled, [{ name: VOLUME, mountPath }]),
    volumes: render.itemsIf(own.persistence.enabled, volumes),
  };
}

/** md-icapsrv: the server data at its fixed path, on the claim md-icapsrv-data. */
export const icapPersistence = (dataDir: string) =>
  defineFeature({
    name: 'persistence',
    values: { persistence: productPersistenceValues(`the server data (${dataDir})`) },
    reserves: { volumes: [VOLUME] },
    pod: (ctx) => dataVolume(ctx, `${ctx.product.name}-data`, dataDir),
    vendorRules: { icap_container_persistent: toBool('persistence.enabled') },
    cases: [
      { name: 'persistent server data on a new claim', values: { persistence: { enabled: true, size: '20Gi', storageClass: 'fast' } } },
      { name: 'persistent server data on an existing claim', values: { persistence: { enabled: true, existingClaim: 'icap-data' } } },
    ],
  });

/** md-core: the files under `storagePath` (STORAGE_PATH), on the claim md-core-storage. */
export const corePersistence = (p: ProductNames) =>
  defineFeature({
    name: 'persistence',
    values: {
      storagePath: z.string().max(253).regex(ABS_PATH).default('/metadefendercore').describe('Where MetaDefender Core keeps sanitized, DLP-processed and quarantined files (STORAGE_PATH); persistence mounts here.'),
      persistence: productPersistenceValues('the files under storagePath'),
    },
    config: ({ own }) => ({ STORAGE_PATH: own.storagePath }),
    reserves: { volumes: [VOLUME] },
    pod: (ctx) => dataVolume(ctx, `${ctx.product.name}-storage`, ctx.own.storagePath),
    vendorRules: {
      STORAGE_PATH: toStr('storagePath'),
      [`${p.vendorKey}.persistentDir`]: toStr('storagePath'),
      [`${p.vendorKey}.storage_name`]: (k) => {
        k.ctx.set('persistence.existingClaim', str(k));
        k.mapped('persistence.existingClaim');
      },
      // The top-level storage_name (the claim their components share) is a rule of md-core's own: it decides the database's claim.
      storage_configs: userClaimsRule(p),
    },
    cases: [
      { name: 'storage path on a persistent claim', values: { storagePath: '/data/core', persistence: { enabled: true, size: '100Gi', storageClass: 'fast' } } },
      { name: 'storage on an existing claim', values: { persistence: { enabled: true, existingClaim: 'md-core-storage' } } },
      { name: 'storage on the user\'s claim at its own path', values: { storagePath: '/home/metascan', persistence: { enabled: true, existingClaim: 'mdcore-nfs-claim' } } },
    ],
  });

/**
 * The vendor's `storage_configs`: claims (whole PersistentVolumeClaim objects) the user supplies, which its
 * components with a persistentDir mount (`storage_name`). Ours creates no objects of the user's: the claim
 * is created by the user and md-core's storage takes it as persistence.existingClaim. The vendor put the
 * database on the same claim (a subPath each); ours gives the database its own claim (two pods on one
 * ReadWriteOnce claim must share a node).
 */
function userClaimsRule(p: ProductNames): Rule {
  return (k) => {
    if (!isMap(k.value)) throw new VendorValueError(k.path, 'expected a map of PersistentVolumeClaim objects');
    const claims = Object.entries(k.value as Map).map(([key, pvc]) => {
      const name = isMap(pvc) && isMap(pvc.metadata) ? pvc.metadata.name : undefined;
      if (!isMap(pvc) || pvc.kind !== 'PersistentVolumeClaim' || typeof name !== 'string') throw new VendorValueError(`${k.path}.${key}`, 'expected a PersistentVolumeClaim object with metadata.name');
      return name;
    });
    if (claims.length === 0) return k.notNeeded('empty');
    const named = k.ctx.get('storage_name');
    const claim = typeof named === 'string' && claims.includes(named) ? named : claims.length === 1 ? claims[0]! : undefined;
    const mounted = k.ctx.get(`${p.vendorKey}.persistentDir`);
    const apply = shellWords(['kubectl', '-n', k.ctx.opts.namespace, 'apply', '-f', '<a file with the claims of storage_configs>']);
    if (claim === undefined || !mounted) {
      return k.action(`create these claims yourself (${claims.join(', ')}) and name one in persistence.existingClaim (md-core's storage) or database.inCluster.persistence.existingClaim`, { command: apply });
    }
    k.ctx.set('persistence.enabled', true);
    k.ctx.set('persistence.existingClaim', claim);
    k.action(`create the claim ${claim} yourself (ours creates none of the user's objects): md-core's storage (storagePath) mounts it as persistence.existingClaim (the database's claim follows storage_name)`, {
      to: ['persistence.enabled', 'persistence.existingClaim'],
      command: apply,
    });
  };
}
