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
import { str, toBool, toStr } from '../../convert/engine';

const productPersistenceValues = (what: string) =>
  persistenceValues({
    enabled: false,
    size: '10Gi',
    enabledDescription: `Keep ${what} on a PersistentVolumeClaim (ReadWriteOnce: every pod of the release mounts it, so they must share a node, or give existingClaim of a ReadWriteMany class).`,
  });

type Persistence = FeatureValues<{ persistence: ReturnType<typeof productPersistenceValues> }>;

/** The claim `claim` mounted at `mountPath`. */
function dataVolume(ctx: FeatureContext<Persistence>, claim: string, mountPath: ValueOrConstant<string>): PodPart {
  const { render, own } = ctx;
  const volumes = claimVolume(ctx.scope, 'DataClaim', { identity: ctx.identity, name: claim, component: ctx.product.component, persistence: own.persistence, volumeName: 'product-data' });
  return {
    volumeMounts: render.itemsIf(own.persistence.enabled, [{ name: 'product-data', mountPath }]),
    volumes: render.itemsIf(own.persistence.enabled, volumes),
  };
}

/** md-icapsrv: the server data at its fixed path, on the claim md-icapsrv-data. */
export const icapPersistence = (dataDir: string) =>
  defineFeature({
    name: 'persistence',
    values: { persistence: productPersistenceValues(`the server data (${dataDir})`) },
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
    pod: (ctx) => dataVolume(ctx, `${ctx.product.name}-storage`, ctx.own.storagePath),
    vendorRules: {
      STORAGE_PATH: toStr('storagePath'),
      [`${p.vendorKey}.persistentDir`]: toStr('storagePath'),
      [`${p.vendorKey}.storage_name`]: (k) => {
        k.ctx.set('persistence.existingClaim', str(k));
        k.mapped('persistence.existingClaim');
      },
    },
    cases: [
      { name: 'storage path on a persistent claim', values: { storagePath: '/data/core', persistence: { enabled: true, size: '100Gi', storageClass: 'fast' } } },
      { name: 'storage on an existing claim', values: { persistence: { enabled: true, existingClaim: 'md-core-storage' } } },
    ],
  });
