/**
 * The product's Deployment(s) per its upgrade strategy: one Deployment for rolling update and recreate, two
 * slot Deployments for blue-green with the main Service on the active slot and a preview Service (made
 * here) on the other. The pod template is written once and shared by the Deployments.
 */
import { Construct } from 'constructs';
import { KubeObject } from '../core/kube-object';
import { Render, ValueOrConstant, Value } from '../core/template';
import { Identity } from './identity';
import { SLOT_LABEL, SLOTS, UpgradeStrategy } from './strategy';

/** What tells the pods of one Deployment from another's: the slot's image tag and its slot label. */
export interface SlotPods {
  /** The image tag this Deployment runs. */
  readonly imageTag: ValueOrConstant<string>;
  /** The image digest pinning it: image.digest where it runs image.tag, none for a slot with its own tag. */
  readonly imageDigest: ValueOrConstant<string>;
  /** The blue-green slot ("blue", "green"), or empty for the only Deployment; pods carry it as SLOT_LABEL. */
  readonly slot: ValueOrConstant<string>;
}

export interface UpgradableDeploymentProps {
  readonly identity: Identity;
  readonly component: string;
  /** Product name of the Deployment ("md-core"); slots are "<name>-blue" and "<name>-green". */
  readonly name: string;
  readonly strategy: UpgradeStrategy;
  /** Replicas of the single Deployment (RollingUpdate/Recreate). */
  readonly replicas: ValueOrConstant<number>;
  /** An autoscaler owns the replica count: leave `replicas` out. */
  readonly autoscaled: ValueOrConstant<boolean>;
  /** The default image tag (image.tag) and digest (image.digest, may be empty). */
  readonly imageTag: ValueOrConstant<string>;
  readonly imageDigest: ValueOrConstant<string>;
  /** Builds the pod template; written once, shared by the Deployments (a named template in a Helm chart). */
  readonly podTemplate: (slot: SlotPods) => Record<string, unknown>;
  /**
   * Selector of the single Deployment (and of the Service while it serves it) instead of the standard
   * labels, e.g. the vendor chart's `app: <name>` of a release taken over in place; the pod template must
   * carry it. Blue-green slots keep the standard selector. @default the standard selector labels
   */
  readonly selector?: Record<string, ValueOrConstant<string>>;
  /** Ports of a Service of one slot's pods (the preview Service, a hot backup's): container port names and numbers. */
  readonly slotPorts: readonly { readonly name: string; readonly port: ValueOrConstant<number> }[];
}

/**
 * The product's Deployment(s) per the upgrade strategy. With BlueGreen there are two Deployments, one
 * per slot, each with its own image tag and replica count; `serviceSelector` follows the active slot and
 * the preview Service `<name>-preview` the other one, so switching is one value (`strategy.blueGreen.activeSlot`).
 */
export class UpgradableDeployment extends Construct {
  /** Selects the pods that serve traffic. */
  public readonly serviceSelector: Record<string, ValueOrConstant<string>>;
  /** True (a condition) when the strategy is BlueGreen. */
  public readonly blueGreen: Value<boolean>;
  /** The blue-green slot the main Service sends traffic to. */
  public readonly activeSlot: ValueOrConstant<string>;
  private readonly props: UpgradableDeploymentProps;

  constructor(scope: Construct, id: string, props: UpgradableDeploymentProps) {
    super(scope, id);
    const render = Render.of(this);
    const { identity, component, strategy } = props;
    const selector = identity.selector(component);
    const blueGreen = render.eq(strategy.type, 'BlueGreen');
    const active = strategy.blueGreen.activeSlot;
    const idle = render.ifElse(render.eq(active, 'blue'), 'green', 'blue');
    this.blueGreen = blueGreen;
    this.activeSlot = active;
    this.props = props;
    const singleSelector = props.selector ?? selector;
    this.serviceSelector = props.selector
      ? { ...render.fieldsIf(blueGreen, { ...selector, [SLOT_LABEL]: active }), ...render.fieldsIf(render.not(blueGreen), props.selector) }
      : { ...selector, ...render.fieldsIf(blueGreen, { [SLOT_LABEL]: active }) };
    const podTemplate = (pods: SlotPods) => render.sharedMap(`${identity.props.templatePrefix}.podTemplate`, { ...pods }, (p) => props.podTemplate(p));

    render.when(render.not(blueGreen), () => {
      new KubeObject(this, 'Deployment', {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: identity.meta(props.name, component),
        spec: {
          ...render.fieldsIf(render.not(props.autoscaled), { replicas: props.replicas }),
          selector: { matchLabels: singleSelector },
          strategy: {
            type: strategy.type,
            ...render.fieldsIf(render.eq(strategy.type, 'RollingUpdate'), { rollingUpdate: strategy.rollingUpdate }),
          },
          template: podTemplate({ imageTag: props.imageTag, imageDigest: props.imageDigest, slot: '' }),
        },
      });
    });

    render.when(blueGreen, () => {
      for (const slot of SLOTS) {
        const slotSelector = { ...selector, [SLOT_LABEL]: slot };
        new KubeObject(this, `Deployment-${slot}`, {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: identity.meta(`${props.name}-${slot}`, component),
          spec: {
            replicas: strategy.blueGreen[slot].replicas,
            selector: { matchLabels: slotSelector },
            // Within a slot, updates still roll (the slot may be live when its tag changes).
            strategy: { type: 'RollingUpdate', rollingUpdate: strategy.rollingUpdate },
            template: podTemplate({
              imageTag: render.coalesce(strategy.blueGreen[slot].imageTag, props.imageTag),
              // A slot's own tag is another image: image.digest pins image.tag only.
              imageDigest: render.ifElse(strategy.blueGreen[slot].imageTag, '', props.imageDigest),
              slot,
            }),
          },
        });
      }
      // The idle slot, to test a new version before switching; in-cluster only.
      this.slotService(this, 'PreviewService', `${props.name}-preview`, idle);
    });
  }

  /** A ClusterIP Service of one slot's pods alone, on the slot ports (its spec written once for every such Service). */
  public slotService(scope: Construct, id: string, name: string, slot: ValueOrConstant<string>): void {
    const { identity, component, slotPorts } = this.props;
    const render = Render.of(this);
    new KubeObject(scope, id, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: identity.meta(name, component),
      spec: render.sharedMap(`${identity.props.templatePrefix}.slotServiceSpec`, { slot }, (p) => ({
        type: 'ClusterIP',
        selector: { ...identity.selector(component), [SLOT_LABEL]: p.slot },
        ports: slotPorts.map((port) => ({ name: port.name, port: port.port, targetPort: port.name, protocol: 'TCP' })),
      })),
    });
  }
}

