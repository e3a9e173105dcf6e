/**
 * lib/core/yaml.ts: raw manifests read back exactly as written when Kubernetes parses them
 * (sigs.k8s.io/yaml, through tools/yaml2json), for random documents and for the awkward cases; the same
 * with a YAML 1.2 reader (the `yaml` package), so other tools agree; and a fixed, readable layout.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { manifestsToYaml } from '../lib/core/yaml';
import { k8sYamlToJson } from '../lib/tooling/yaml2json';

/** What Kubernetes gets from the YAML must be what JSON.stringify would have sent it. */
function expectRoundTrip(docs: unknown[]): string {
  const text = manifestsToYaml(docs);
  const asJson = JSON.parse(JSON.stringify(docs)) as unknown[];
  expect(k8sYamlToJson(text)).toEqual(asJson);
  expect(YAML.parseAllDocuments(text).map((d) => d.toJS())).toEqual(asJson);
  return text;
}

const tricky = [
  ...['yes', 'On', 'OFF', 'y', 'N', '~', 'null', 'Null', 'true', 'False', '<<', '=', '1_000', '-_8', '0X2', '0x1F', '0o17', '0b101', '012', '+12', '-12', '1:20', '190:20:30', '1e3', '6.8523015e+5', '.5', '1.', '.inf', '-.Inf', '.NaN', 'e9', '2001-12-14', '2001-12-14t21:59:43.10-05:00'],
  ...['', ' ', ' lead', 'trail ', 'a: b', 'a:b', 'a #b', '#c', '- d', '-', '?', '? x', ':', ':x', ',', '"q"', "'s'", '{x}', '[y]', '*z', '&w', '!v', '%u', '@t', '`s`', '|', '>', '---', '...', '--- x', 'x\\y'],
  ...['tab\there', '\ttab', 'cr\rhere', 'crlf\r\nend', 'nul\u0000', 'bell\u0007', 'esc\u001b', 'del\u007f', 'c1\u0080\u009f', 'nel\u0085x', 'nbsp\u00a0x', 'ls\u2028x', 'ps\u2029x', '\ufeffbom', 'mid\ufeffbom', 'nonchar\ufffe\uffff'],
  ...['é日本', '😀 astral 𝄞', '\u{10ffff}', 'Ünïcødé: x'],
];
const multiLine = [
  'multi\nline',
  'multi\nline\n',
  'two newlines\n\n',
  'three\n\n\n',
  '\nleading newline',
  '\n\nleading newlines\n',
  '  leading spaces\nsecond',
  '\ttab first\nsecond',
  'second line\n  indented\n\tand tabbed',
  'trailing spaces  \nline  \n',
  'blank last line\n  ',
  'blank last line, newline\n  \n',
  'blank middle\n   \nline',
  'only\n\n\nempty lines between',
  '\n',
  '\n\n',
  ' \n ',
  '\t\n',
  '#!/bin/sh\nset -eu\necho "a: b" # not a comment\n- not a list\n--- not a document\n...\n',
  'carriage\r\nreturns\r\n',
  'nel\u0085in\nblock',
  'ls\u2028in\nblock',
  'bom\ufeffin\nblock',
  'astral 😀\nblock 𝄞\n',
  'x'.repeat(5000) + '\n' + 'y'.repeat(5000),
];
const longStrings = ['a'.repeat(100_000), `${'long quoted: '.repeat(2000)}end`, `k${'é'.repeat(1100)}`];

const anyString = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ maxLength: 12, unit: 'binary' }),
  fc.string({ maxLength: 12, unit: 'binary-ascii' }),
  fc.string({ maxLength: 12, unit: 'grapheme' }),
  fc.array(fc.oneof(fc.constantFrom('\n', ' ', '\t', '\r', '#', ':', '-', '|', '"', "'"), fc.string({ maxLength: 4 })), { maxLength: 10 }).map((parts) => parts.join('')),
);
const aString = fc.oneof(fc.constantFrom(...tricky, ...multiLine), anyString);
const aNumber = fc.oneof(fc.integer(), fc.constantFrom(0, -0, 1e21, -1e21, 2 ** 53, -(2 ** 63), 2 ** 64, 1e-7, 5e-324, Number.MAX_VALUE, 0.1, -1.5), fc.double({ noNaN: true, noDefaultInfinity: true }));
const aKey = fc.oneof(fc.constantFrom(...tricky, 'constructor', '__proto__', 'toString', 'hasOwnProperty', '1', '0', '-1', 'on', 'a: b', '#x', '-', '?'), anyString);
const value = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small' },
    aString,
    aNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('node'), { maxLength: 4 }),
    fc.dictionary(aKey, tie('node'), { maxKeys: 4 }),
  ),
})).node;
const manifest = fc.dictionary(aKey, value, { maxKeys: 5 });

describe('manifestsToYaml', () => {
  it('quotes every string Kubernetes would read as something else, as value and as key', () => {
    const strings = [...tricky, ...multiLine];
    expectRoundTrip([Object.fromEntries(strings.map((t) => [t, t])), { list: strings }]);
  });

  it('round-trips random documents through the Kubernetes YAML parser', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof({ weight: 5, arbitrary: manifest }, { weight: 1, arbitrary: fc.array(value, { maxLength: 4 }) }), { minLength: 1, maxLength: 4 }), (docs) => {
        expectRoundTrip(docs);
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips multi-line strings at every nesting level (literal blocks and their indentation)', () => {
    const nested = (s: string) => ({ top: s, map: { inner: s, deeper: { x: s } }, list: [s, [s, [s]], { k: s }], [s]: s });
    expectRoundTrip(multiLine.map(nested));
  });

  it('round-trips empty maps and lists, nulls, and what JSON drops or nulls (undefined)', () => {
    const text = expectRoundTrip([{}, [], { a: {}, b: [], c: [{}, [], [[]], null], d: null, e: undefined, f: [undefined, 1] }, { only: undefined }]);
    expect(text).toBe('{}\n---\n[]\n---\na: {}\nb: []\nc:\n  - {}\n  - []\n  - - []\n  - null\nd: null\nf:\n  - null\n  - 1\n---\n{}\n');
  });

  it('round-trips keys that need quoting, including ones that are special in JavaScript', () => {
    const keys = ['on', 'yes', 'no', '1', '0x1', '1.5', 'a: b', '#x', '-', '?', ':', '- x', '? x', '', ' ', 'constructor', 'toString', '__proto__', '<<', '[a]', '{b}', 'é'];
    // Object.fromEntries and JSON.parse make "__proto__" an own key, as a decoded manifest would have it.
    const doc = Object.fromEntries(keys.map((k, i) => [k, i]));
    const withProto = JSON.parse(`{"__proto__": {"nested": "own property, not a prototype"}, "constructor": {"name": "x"}}`) as unknown;
    expectRoundTrip([doc, withProto, { nested: withProto }]);
  });

  it('round-trips unicode: astral characters, BOM, line and paragraph separators, NEL, C0 and C1 controls', () => {
    const all = Array.from({ length: 0x100 }, (_, c) => String.fromCharCode(c)).join('');
    expectRoundTrip([{ all, astral: '😀𝄞\u{10ffff}', separators: '\u2028\u2029\u0085', bom: '\ufeff', [all]: 'key with every latin-1 character', '😀': '\ufeff' }]);
  });

  it('round-trips very long strings and keys (keys over 1024 characters are explicit keys)', () => {
    const longKey = 'k'.repeat(2000);
    const text = expectRoundTrip([Object.fromEntries(longStrings.map((s) => [s.slice(0, 3000), s])), { [longKey]: { nested: [longKey] }, list: [{ [longKey]: 1, after: 2 }] }]);
    expect(text).toContain(`? ${longKey}\n:\n  nested:\n`);
  });

  it('round-trips numbers as JSON writes them: integers, -0, floats, exponents, integers beyond 64 bits', () => {
    const numbers = [0, -0, 1, -1, 42, 0.1, -1.5, 1e-7, 5e-324, 1e21, 1.5e300, Number.MAX_VALUE, Number.MAX_SAFE_INTEGER, -(2 ** 63), 2 ** 63, 2 ** 64, 1e19, 123456789012345680000];
    const text = expectRoundTrip([{ numbers, asKeys: Object.fromEntries(numbers.map((n) => [String(n), n])) }]);
    expect(text).toContain('  - 1e+21\n');
  });

  it('writes a fixed, readable layout: plain where safe, double quotes, literal blocks, lists under their key', () => {
    const doc = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', labels: { 'app.kubernetes.io/name': 'web', version: '1.0' } },
      spec: {
        replicas: 2,
        template: {
          spec: {
            containers: [{ name: 'web', image: 'nginx:1.27', args: ['--port', '8080'], env: [{ name: 'ON', value: 'on' }], resources: {} }],
            script: '#!/bin/sh\necho hi\n',
            indented: '  two spaces\nfirst',
          },
        },
      },
    };
    expect(manifestsToYaml([doc, { kind: 'ConfigMap' }])).toBe(
      [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata:',
        '  name: web',
        '  labels:',
        '    app.kubernetes.io/name: web',
        '    version: "1.0"',
        'spec:',
        '  replicas: 2',
        '  template:',
        '    spec:',
        '      containers:',
        '        - name: web',
        '          image: "nginx:1.27"',
        '          args:',
        '            - "--port"',
        '            - "8080"',
        '          env:',
        '            - name: "ON"',
        '              value: "on"',
        '          resources: {}',
        '      script: |',
        '        #!/bin/sh',
        '        echo hi',
        '      indented: |2-',
        '          two spaces',
        '        first',
        '---',
        'kind: ConfigMap',
        '',
      ].join('\n'),
    );
  });

  it('is byte-stable: the same objects give the same text, whatever was written before', () => {
    fc.assert(
      fc.property(fc.array(manifest, { minLength: 1, maxLength: 3 }), (docs) => {
        const first = manifestsToYaml(docs);
        manifestsToYaml([{ other: ['x\ny', { 'a: b': 1 }] }]);
        expect(manifestsToYaml(JSON.parse(JSON.stringify(docs)) as unknown[])).toBe(first);
      }),
      { numRuns: 100 },
    );
  });

  it('refuses what JSON cannot hold, naming where it is', () => {
    const circular: Record<string, unknown> = { a: 1 };
    circular.self = { back: circular };
    const cases: [unknown, RegExp][] = [
      [{ spec: { replicas: Number.NaN } }, /object 2 as YAML: the number NaN at spec\.replicas/],
      [{ spec: { list: [1, Infinity] } }, /the number Infinity at spec\.list\[1\]/],
      [{ f: () => 1 }, /a function at f/],
      [{ big: 1n }, /a bigint at big/],
      [{ when: new Date(0) }, /a Date object at when/],
      [{ m: new Map() }, /a Map object at m/],
      [{ s: 'lone \ud800 surrogate' }, /unpaired surrogate .* at s/],
      [{ ['\udc00']: 1 }, /unpaired surrogate/],
      [{ s: 'lone \ud800\nsurrogate' }, /unpaired surrogate/],
      [circular, /a circular reference at self\.back/],
    ];
    for (const [doc, message] of cases) expect(() => manifestsToYaml([{ ok: true }, doc]), String(message)).toThrow(message);
    expect(() => manifestsToYaml([{}, circular])).toThrow(/can't write object 2 as YAML/);
  });
});
