import { ChartDefinition } from '../core/chart';
import { mdCoreChart } from './md-core';
import { mdIcapsrvChart } from './md-icapsrv';
import { multisiteInitChart } from './multisite-init';
import { svServerChart } from './sv-server';

/** Every system of the stack as a chart definition, in the order charts and manifests are written. */
export const systems: readonly ChartDefinition[] = [mdIcapsrvChart, mdCoreChart, svServerChart, multisiteInitChart];
