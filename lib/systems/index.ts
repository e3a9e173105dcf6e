import { SystemDefinition } from '../core/system';
import { mdCoreSystem } from './md-core';
import { mdIcapsrvSystem } from './md-icapsrv';
import { multisiteInitSystem } from './multisite-init';
import { svServerSystem } from './sv-server';

/** Every system of the stack, in the order charts and manifests are written. */
export const systems: readonly SystemDefinition[] = [
  mdIcapsrvSystem as unknown as SystemDefinition,
  mdCoreSystem as unknown as SystemDefinition,
  svServerSystem as unknown as SystemDefinition,
  multisiteInitSystem as unknown as SystemDefinition,
];
