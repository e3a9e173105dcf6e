import { SystemDefinition } from '../core/system';
import { mdCoreSystem } from './md-core';
import { mdIcapsrvSystem } from './md-icapsrv';

/** Every system of the stack, in the order charts and manifests are written. */
export const systems: readonly SystemDefinition[] = [
  mdIcapsrvSystem as unknown as SystemDefinition,
  mdCoreSystem as unknown as SystemDefinition,
];
