/**
 * chart-as-code: cdk8s constructs for the MetaDefender / Service Virtualization stack that synthesize both
 * raw Kubernetes manifests and real Helm charts from one typed source.
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
export { InputError, MAX_INPUT_BYTES, readValuesFile, type ReadInputOptions } from './core/input';
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
export * from './constructs/hot-backup';
export * from './constructs/product';
export * from './constructs/tls';
export * from './constructs/volume';
export * from './constructs/multisite';
export * from './systems/sv-server';
export * from './systems/multisite-init';
export { systems } from './systems';
