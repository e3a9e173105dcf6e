/**
 * The credential generator's script under a broken environment, run for real with bash and with sh: a
 * stub kubectl (first on PATH) serves one Secret from a file and records every call's argv and stdin; stub
 * `tr`/`head` fail or cut the random value short. A failure must exit non-zero with nothing patched, no
 * value may ever be an argument, and an empty or short kept value must not be kept as it is.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CREDENTIAL_GENERATOR_SCRIPT } from '../../lib/constructs/credentials';

const SPEC = 'password:alphanumeric:24,value:numeric:36';
const b64 = (s: string) => Buffer.from(s).toString('base64');
const unb64 = (s: string) => Buffer.from(s, 'base64').toString();

/** kubectl get prints the jsonpath the script asks for from $STATE; kubectl patch appends its stdin to $PATCHES. */
const STUB_KUBECTL = `#!/bin/sh
printf '%s\\n' "$*" >> "$CALLS"
case $1 in
  get) cat "$STATE";;
  patch) cat >> "$PATCHES"; printf '\\n' >> "$PATCHES";;
  *) exit 2;;
esac
`;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Every kubectl command line. */
  calls: string[];
  /** Every patch body (kubectl's stdin), parsed. */
  patches: { data: Record<string, string | null> }[];
}

/**
 * The script under `shell` with the Secret's data `data`, and `stubs`: extra commands by name (script
 * text) put before the real ones on PATH.
 */
function generate(shell: 'bash' | 'sh', data: Record<string, string>, stubs: Record<string, string> = {}): Run {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'generator-adversarial-'));
  try {
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    for (const [name, text] of Object.entries({ kubectl: STUB_KUBECTL, ...stubs })) fs.writeFileSync(path.join(bin, name), text, { mode: 0o755 });
    const files = { STATE: path.join(dir, 'state'), CALLS: path.join(dir, 'calls'), PATCHES: path.join(dir, 'patches') };
    fs.writeFileSync(files.STATE, `7\n${SPEC}\n${JSON.stringify(Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])))}`);
    const r = spawnSync(shell, ['-c', CREDENTIAL_GENERATOR_SCRIPT, 'credential-generator', 'the-secret'], {
      env: { PATH: `${bin}:/usr/bin:/bin`, HOME: dir, TMPDIR: dir, ...files },
      encoding: 'utf8',
      timeout: 30_000,
    });
    const read = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '');
    return {
      code: r.status,
      stdout: r.stdout,
      stderr: r.stderr,
      calls: read(files.CALLS).split('\n').filter(Boolean),
      patches: read(files.PATCHES).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Run['patches'][number]),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const failing = '#!/bin/sh\nexit 1\n';
/** `head` that passes on only a few bytes: a random source that dries up. */
const short = '#!/bin/sh\nexec /usr/bin/head -c 5\n';
/** `tr` that deletes nothing and fails: /dev/urandom's raw bytes, then an error. */
const rawTr = '#!/bin/sh\ncat; exit 1\n';

describe.each(['bash', 'sh'] as const)('the credential generator under %s', (shell) => {
  it('generates both keys with their full length and charset, through stdin only', () => {
    const r = generate(shell, {});
    expect(r.code, r.stderr).toBe(0);
    expect(r.patches).toHaveLength(1);
    const data = r.patches[0]!.data;
    expect(unb64(data.password!)).toMatch(/^[A-Za-z0-9]{24}$/);
    expect(unb64(data.value!)).toMatch(/^[0-9]{36}$/);
    // The values travel on stdin: no command line holds one, base64 or plain.
    for (const v of [data.password!, data.value!, unb64(data.password!), unb64(data.value!)]) for (const call of r.calls) expect(call).not.toContain(v);
    expect(r.calls.find((c) => c.startsWith('patch'))).toBe('patch secret the-secret --type merge --patch-file /dev/stdin');
  });

  it.each([
    ['tr fails', { tr: failing }],
    ['head fails', { head: failing }],
    ['the random source gives 5 bytes', { head: short }],
    ['tr passes raw bytes and fails', { tr: rawTr }],
  ])('%s: exits non-zero, says so, and patches nothing', (_what, stubs) => {
    const r = generate(shell, {}, stubs);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('could not generate');
    expect(r.stdout).not.toContain('generated');
    expect(r.patches).toEqual([]);
    expect(r.calls.filter((c) => c.startsWith('patch'))).toEqual([]);
  });

  it('regenerates an empty kept value (what the old generator wrote when its random source failed)', () => {
    const r = generate(shell, { password: '', value: '1'.repeat(36) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.patches).toHaveLength(1);
    expect(unb64(r.patches[0]!.data.password!)).toMatch(/^[A-Za-z0-9]{24}$/);
    expect(r.patches[0]!.data).not.toHaveProperty('value');
    expect(r.stdout).toContain('generated password; kept value;');
  });

  it('refuses a short kept value: exits non-zero, patches nothing, and says how to fix it', () => {
    const r = generate(shell, { password: 'abc', value: '1'.repeat(36) });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('password is shorter than 24 characters');
    expect(r.patches).toEqual([]);
  });

  it('an empty previous.<key> is not restored: the key is generated', () => {
    const r = generate(shell, { 'previous.password': '', value: '1'.repeat(36) });
    expect(r.code, r.stderr).toBe(0);
    expect(unb64(r.patches[0]!.data.password!)).toMatch(/^[A-Za-z0-9]{24}$/);
    expect(r.patches[0]!.data['previous.password']).toBeNull();
  });
});
