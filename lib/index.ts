/**
 * chart-as-code: cdk8s constructs for the MetaDefender / Service Virtualization stack that synthesize both
 * raw Kubernetes manifests and real Helm charts from one typed source.
 *
 * This root export is what charts are written with; its names are listed in README ("API") and pinned by
 * test/api.test.ts (test/fixtures/api-exports.txt), so it grows only on purpose. The engine (template
 * plumbing, the Helm emitter, schema fragments, building-block constructs) is `chart-as-code/internal`.
 */

// Defining, synthesizing and writing charts.
export { defineChart, RawChart, type ChartDefinition, type ChartMetadata, type Maintainer, type RawChartProps } from './core/chart';
export { synthManifests, type ChartInstance, type ChartSource, type ChartSpec, type SynthOptions } from './core/synth';
export { writeHelmCharts } from './core/helm-chart';
export { readValuesFile, type ReadInputOptions } from './core/input';

// Writing construct code against values.
export { Render, text, type ValueOrConstant, type Value, type ValueTree, type ReleaseInfo } from './core/template';
export { image, rule, labelValue } from './core/schema';
export { KubeObject, type KubeObjectProps } from './core/kube-object';
export { productIdentity, type ProductIdentityOptions, type Identity } from './constructs/identity';
export type { ServiceHandle, SecretHandle, WorkloadHandle } from './constructs/handles';
export { ManagedSecret, type ManagedSecretProps, type SecretKeySpec, type GeneratedKey } from './constructs/secret';

// Errors a caller catches.
export { ChartError } from './core/errors';
export { ValuesError } from './core/schema';
export { OutputError } from './core/output';
export { InputError } from './core/input';

// The products: constructs, their values schemas and types, their props and their charts.
export { MdIcapsrv, mdIcapsrvChart, type MdIcapsrvProps } from './systems/md-icapsrv';
export { mdIcapsrvValues, type MdIcapsrvValues, type MdIcapsrvValuesInput } from './systems/md-icapsrv/values';
export { MdCore, mdCoreChart, type MdCoreProps } from './systems/md-core';
export { mdCoreValues, type MdCoreValues, type MdCoreValuesInput } from './systems/md-core/values';
export { SvServer, svServerChart, type SvServerProps } from './systems/sv-server';
export { svServerValues, type SvServerValues, type SvServerValuesInput } from './systems/sv-server/values';
export { MultisiteInit, multisiteInitChart, type MultisiteInitProps } from './systems/multisite-init';
export { multisiteInitValues, type MultisiteInitValues, type MultisiteInitValuesInput } from './systems/multisite-init/values';
