/**
 * What a product construct offers the rest of a chart: its Service, its Secrets and its workload, as
 * handles other constructs (a platform team's own, or cdk8s-plus ones) refer to. Fields are values: the
 * name itself in raw synthesis, a template expression in a Helm chart (`text()` gives the string that
 * stands for it, for APIs that want a string).
 */
import { ValueOrConstant, Value } from '../core/template';
import { ManagedSecret } from './secret';

/** A Service: its name, its ports by name, and the labels of the pods it sends traffic to. */
export interface ServiceHandle {
  readonly name: Value<string>;
  readonly ports: Readonly<Record<string, ValueOrConstant<number>>>;
  readonly selector: Readonly<Record<string, ValueOrConstant<string>>>;
}

/** A Secret and the keys it holds (given, generated in the cluster, or in the user's existingSecret). */
export interface SecretHandle {
  readonly name: Value<string>;
  readonly keys: readonly string[];
}

/** The product's pods: the Deployment (the single one; blue-green slots add -blue/-green), its ServiceAccount, and the labels of all its pods. */
export interface WorkloadHandle {
  readonly name: Value<string>;
  readonly serviceAccountName: ValueOrConstant<string>;
  readonly podSelector: Readonly<Record<string, ValueOrConstant<string>>>;
}

/** The handle of a managed Secret. */
export function secretHandle(secret: ManagedSecret, keys: readonly string[]): SecretHandle {
  return { name: secret.secretName, keys };
}
