/**
 * The one Secret of a product that holds the secret settings the user gives to its features (OLMS token,
 * proxy and import passwords, the ignition JSON, a key passphrase): never a ConfigMap. The values the user
 * gives go into `<prefix>-settings` (only the keys given, only when some are), or the user names an
 * `existingSecret` holding the same keys; the container reads each with a secretKeyRef.
 */
import { Construct } from 'constructs';
import { z } from 'zod';
import { KubeObject } from '../core/kube-object';
import { Render, ValueOrConstant } from '../core/template';
import { Identity } from './identity';

/** Keys of the settings Secret (and of an existingSecret a feature reads instead). */
export const SETTINGS_KEYS = {
  olmsToken: 'olmsToken',
  olmsProxyPassword: 'olmsProxyPassword',
  proxyPassword: 'proxyPassword',
  configImportPassword: 'configImportPassword',
  certPassphrase: 'certPassphrase',
  ignition: 'IGNITION_JSON',
} as const;

/** A secret setting's value: stored in the settings Secret under `key` when given. */
export const secretText = (prefix: string, key: string, what: string) =>
  z.string().max(4096).default('').describe(`${what}, stored in the Secret ${prefix}-settings (key "${key}") when given; or give existingSecret.`);

/**
 * Each feature asks for a reference (`ref`), and `build` creates the Secret with the keys that are given,
 * if any.
 */
export class SettingsSecret {
  private readonly entries: { key: string; value: ValueOrConstant<string>; given: unknown }[] = [];
  private readonly render: Render;
  public readonly name: ValueOrConstant<string>;
  /** Prefix of the product's named templates, for the features' own. */
  public readonly templatePrefix: string;

  constructor(
    private readonly scope: Construct,
    private readonly identity: Identity,
    private readonly component: string,
    private readonly base: string,
  ) {
    this.render = Render.of(scope);
    this.name = identity.name(base);
    this.templatePrefix = identity.props.templatePrefix;
  }

  /** A secretKeyRef to `key`: of the user's `existingSecret` when set, else of this Secret, which then holds `value` while `enabled`. */
  public ref(key: string, opts: { value: ValueOrConstant<string>; enabled: unknown; existingSecret: ValueOrConstant<string>; existingKey?: ValueOrConstant<string> }) {
    const r = this.render;
    // A named template in a Helm chart: the condition guards both the key and the whole Secret.
    const given = r.sharedCondition(`${this.templatePrefix}.settings.${key}`, () => r.and(opts.enabled, opts.value, r.not(opts.existingSecret)));
    this.entries.push({ key, value: opts.value, given });
    const name = r.coalesce(opts.existingSecret, this.name);
    return { secretKeyRef: { name, key: opts.existingKey === undefined ? key : r.ifElse(opts.existingSecret, opts.existingKey, key) } };
  }

  /** Creates the Secret when some value is given; after every `ref`. */
  public build(id: string): void {
    const r = this.render;
    const needed = r.sharedCondition(`${this.templatePrefix}.settings`, () => r.or(...this.entries.map((e) => e.given)));
    r.when(needed, () => {
      new KubeObject(this.scope, id, {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: this.identity.meta(this.base, this.component),
        type: 'Opaque',
        // Written once (a named template in a Helm chart), so the chart does not test every key twice.
        data: r.sharedMap(`${this.templatePrefix}.settingsData`, {}, () => Object.assign({}, ...this.entries.map((e) => r.fieldsIf(e.given, { [e.key]: r.b64(e.value) })))),
      });
    });
  }
}
