/**
 * lib/core/kube-object.ts: the direct walk over plain data (apps with only cdk8s' built-in resolvers) gives
 * the objects cdk8s' own resolve gives, for every system and for tokens nested in plain data; apps with
 * resolvers of their own still get every value through them.
 */
import { ApiObject, App, Chart, IResolver, Lazy, ResolutionContext } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { KubeObject } from '../lib/core/kube-object';
import { RawChart } from '../lib/core/chart';
import { systems } from '../lib/systems';

/** A resolver that replaces nothing: its presence makes KubeObject take cdk8s' resolve for every value. */
const replacesNothing: IResolver = { resolve: () => undefined };

/** Every object of a chart as JSON text (key order included), made in an App with these resolvers. */
function synthesized(resolvers: IResolver[] | undefined, build: (chart: Chart) => void, create = (app: App) => new Chart(app, 'c', { namespace: 'ns', labels: { team: 'a' } })): string {
  const chart = create(new App({ outdir: '/nonexistent', resolvers }));
  build(chart);
  return JSON.stringify(chart.toJson());
}

class Quantity {
  constructor(public readonly value: string) {}
}

describe('KubeObject.toJson', () => {
  it("gives cdk8s' resolve's objects for every system (tests included), in the same key order", () => {
    for (const system of systems) {
      const create = (app: App) => new RawChart(app, system.name, { chart: system, namespace: 'ns', includeTests: true });
      const direct = synthesized(undefined, () => undefined, create);
      expect(direct.length).toBeGreaterThan(1000);
      expect(direct, system.name).toBe(synthesized([replacesNothing], () => undefined, create));
    }
  });

  it('resolves Lazy values, resolve() objects and union classes nested anywhere in plain data', () => {
    const body = (chart: Chart) =>
      new KubeObject(chart, 'm', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'm', labels: { lazy: Lazy.any({ produce: () => 'produced' }) as unknown as string } },
        data: {
          lazy: Lazy.any({ produce: () => ({ nested: Lazy.any({ produce: () => 'deep' }), dropped: null }) }),
          token: { resolve: () => ['from', 'resolve()'] },
          quantity: new Quantity('1Gi'),
          list: [Lazy.any({ produce: () => 1 }), null, { b: 2, a: 1 }],
        } as never,
      });
    const direct = synthesized(undefined, body);
    expect(direct).toBe(synthesized([replacesNothing], body));
    expect(JSON.parse(direct)).toEqual([
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'm', namespace: 'ns', labels: { lazy: 'produced', team: 'a' } },
        data: { lazy: { nested: 'deep' }, list: [1, null, { a: 1, b: 2 }], quantity: { value: '1Gi' }, token: ['from', 'resolve()'] },
      },
    ]);
  });

  it("keeps what cdk8s' metadata API adds (labels, annotations, finalizers, owners, any field) and the chart's namespace", () => {
    const plainChart = (app: App) => new Chart(app, 'c', { namespace: 'ns' });
    const text = synthesized(
      undefined,
      (chart) => {
        new KubeObject(chart, 'bare', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'bare' } });
        const o = new KubeObject(chart, 'm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'm', annotations: { own: 'o' } } });
        o.metadata.addLabel('l', '1');
        o.metadata.addAnnotation('a', '2');
        o.metadata.addFinalizers('example.com/f');
        o.metadata.addOwnerReference({ apiVersion: 'v1', kind: 'ConfigMap', name: 'bare', uid: 'u' });
        o.metadata.add('generateName', 'g-');
      },
      plainChart,
    );
    const [bare, m] = JSON.parse(text) as { metadata: Record<string, unknown> }[];
    expect(bare!.metadata).toEqual({ name: 'bare', namespace: 'ns' });
    expect(m!.metadata).toEqual({
      name: 'm',
      namespace: 'ns',
      generateName: 'g-',
      labels: { l: '1' },
      annotations: { a: '2', own: 'o' },
      finalizers: ['example.com/f'],
      ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'bare', uid: 'u' }],
    });
  });

  it('passes every value through resolvers of the app', () => {
    const upper: IResolver = {
      resolve: (context: ResolutionContext) => {
        if (typeof context.value === 'string' && context.value.startsWith('x-')) context.replaceValue(context.value.toUpperCase());
      },
    };
    const text = synthesized([upper], (chart) => new KubeObject(chart, 'm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'm' }, data: { a: 'x-deep', list: ['x-item'] } } as never));
    expect(JSON.parse(text)[0].data).toEqual({ a: 'X-DEEP', list: ['X-ITEM'] });
  });

  it('keeps maps with "constructor" and "value" keys whole (cdk8s would take such a map for a union class)', () => {
    const text = synthesized(undefined, (chart) => {
      new KubeObject(chart, 'm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'm', labels: { constructor: 'c' } }, data: { constructor: 'c', value: 'v' } } as never);
      new ApiObject(chart, 'plain', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'plain' } });
    });
    const [m] = JSON.parse(text) as { metadata: { labels: unknown }; data: unknown }[];
    expect(m!.metadata.labels).toEqual({ constructor: 'c', team: 'a' });
    expect(m!.data).toEqual({ constructor: 'c', value: 'v' });
  });
});
