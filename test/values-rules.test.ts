/**
 * The template rules' pieces: quantities compared alike by zod (quantityValue) and by the chart's `quantity`
 * helper in the real helm binaries, and values-rules.yaml refusing a rule it cannot reach.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { goHelpers } from '../lib/core/helpers-tpl';
import { quantity, quantityValue, rule, TemplateRule } from '../lib/core/schema';
import { valuesRulesTemplates } from '../lib/core/values-rules';
import { cliTemplate, fc, validValues } from '../lib/proof';
import { HELM_MAJORS, helmBinary, helmName, newestHelm } from '../lib/tooling/helm';

describe('quantityValue', () => {
  it('reads suffixes, exponents and numbers as Kubernetes does', () => {
    expect(quantityValue('1.5Gi')).toBe(1.5 * 2 ** 30);
    expect(quantityValue('500m')).toBe(0.5);
    expect(quantityValue('1e3')).toBe(1000);
    expect(quantityValue('1E')).toBe(1e18);
    expect(quantityValue('+.5k')).toBe(500);
    expect(quantityValue('5.')).toBe(5);
    expect(quantityValue(7)).toBe(7);
    expect(quantityValue('1536Mi')).toBe(quantityValue('1.5Gi'));
    expect(quantityValue('1500m')).toBe(quantityValue('1.5'));
  });
});

describe.each(HELM_MAJORS.map((m) => [helmName(newestHelm(m)), newestHelm(m)] as const))('the quantity helper of %s', (_name, release) => {
  it('gives the value quantityValue gives, for random quantities', async () => {
    const quantities = fc.sample(validValues(z.object({ q: quantity() })).filter((v) => v.q !== undefined), { seed: 7, numRuns: 300 }).map((v) => v.q as string | number);
    quantities.push('1.5Gi', '500m', '1e3', '1E', '+.5k', '5.', '999999999999999999.999999999Ei', '.000000001e-99');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quantity-chart-'));
    try {
      fs.mkdirSync(path.join(dir, 'templates'));
      fs.writeFileSync(path.join(dir, 'Chart.yaml'), 'apiVersion: v2\nname: q\nversion: 0.1.0\n');
      fs.writeFileSync(path.join(dir, 'templates', '_helpers.tpl'), goHelpers('q', new Set(['quantity'])));
      // One ConfigMap whose data holds each quantity's value, printed by the helper as Go prints a float64.
      fs.writeFileSync(
        path.join(dir, 'templates', 'configmap.yaml'),
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: q\ndata:\n{{- range $i, $q := .Values.q }}\n  q{{ $i }}: {{ include "q.quantity" $q | quote }}\n{{- end }}\n',
      );
      const { rendered } = await cliTemplate(helmBinary(release), dir, JSON.stringify({ q: quantities }));
      expect(rendered).toHaveProperty('docs');
      const data = (rendered as unknown as { docs: { data: Record<string, string> }[] }).docs[0]!.data;
      const differing = quantities.filter((q, i) => Number(data[`q${i}`]) !== quantityValue(q)).map((q, i) => `${JSON.stringify(q)}: helm ${data[`q${i}`]}, zod ${quantityValue(q)}`);
      expect(differing).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('values-rules.yaml', () => {
  const never = new TemplateRule('never', ({ refuse }) => `{{- if false -}}\n${refuse('"never"')}\n{{- end -}}`);
  const ruled = rule(z.object({ a: z.number() }).strict(), () => true, { message: 'never', jsonSchema: never, counterexample: {} });

  it('calls a rule at each place of the values it applies to, with its path', () => {
    const t = valuesRulesTemplates('c', z.object({ x: ruled.default({ a: 1 }), y: z.object({ z: ruled }) }))!;
    expect(t.template).toContain('{{- include "c.rule.never" (dict "value" $.Values.x "path" "x") }}');
    expect(t.template).toContain('{{- include "c.rule.never" (dict "value" $.Values.y.z "path" "y.z") }}');
    expect(t.helpers).toContain('{{- define "c.rule.never" -}}');
    expect(t.helpers).toContain('{{- define "c.refuse" -}}');
  });

  it('has nothing to write for a schema without template rules', () => {
    expect(valuesRulesTemplates('c', z.object({ a: z.number() }))).toBeUndefined();
  });

  it('refuses a rule inside a list, where it would go unchecked', () => {
    expect(() => valuesRulesTemplates('c', z.object({ items: z.array(ruled) }))).toThrow('items.*: the template rule never is inside a list or map');
  });
});
