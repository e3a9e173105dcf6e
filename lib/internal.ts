/**
 * chart-as-code/internal: the engine behind the root export (template plumbing, the Helm emitter, schema
 * fragments, the building-block constructs the products are made of, constants, CLI helpers). Everything
 * here may change in any release; chart code uses the root export (`chart-as-code`).
 */
export * from './core/schema';
export * from './core/template';
export * from './core/chart';
export * from './core/errors';
export { KubeObject, KubeObjectProps } from './core/kube-object';
export * from './core/helm-chart';
export * from './core/synth';
export { HelmEmitter } from './core/emit';
export { valuesYaml, valuesTable, chartReadme } from './core/docs';
export * from './core/output';
export * from './constructs/identity';
export * from './constructs/handles';
export * from './constructs/credentials';
export * from './constructs/secret';
export * from './constructs/licensing-rbac';
export * from './constructs/postgres';
export * from './constructs/pod';
export * from './constructs/pod-security';
export * from './constructs/network-policy';
export * from './systems/md-icapsrv';
export * from './systems/md-core';
export * from './constructs/opswat';
export * from './constructs/strategy';
export * from './constructs/upgradable-deployment';
export * from './constructs/features/hot-backup';
export * from './constructs/product';
export * from './constructs/features/tls';
export * from './constructs/volume';
export * from './constructs/multisite';
export * from './systems/sv-server';
export * from './systems/multisite-init';
export { systems } from './systems';
export * from './core/input';
