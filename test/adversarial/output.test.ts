/**
 * Nothing lost, nothing leaked: output directories (dist/, charts/, synthManifests' and writeHelmCharts'
 * outdir) are replaced only when chart-as-code wrote them, are at every instant the complete old or the
 * complete new output, admit one writer at a time, and follow the umask. Each case asserts what is on disk.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { synthManifests } from '../../lib/core/synth';
import { writeHelmCharts } from '../../lib/core/helm-chart';
import { onlyFilesEndingWith, OUTPUT_MARKER, OutputError, replaceDirectory } from '../../lib/core/output';
import { mdIcapsrvChart } from '../../lib/systems/md-icapsrv';
import { systems } from '../../lib/systems';

const root = path.join(__dirname, '..', '..');
const child = path.join(__dirname, 'output-child.ts');
/** tsx's CommonJS hook by absolute path, so that children run from any directory. */
const tsx = createRequire(path.join(root, 'package.json')).resolve('tsx/cjs');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'output-adv-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

let n = 0;
/** A new directory `parent` for one case, and the path of its (not yet existing) target. */
function place(name = 'out'): { parent: string; target: string } {
  const parent = path.join(work, `case-${n++}`);
  fs.mkdirSync(parent);
  return { parent, target: path.join(parent, name) };
}

/** Every file (content) and directory (`/`) below `dir`, with modes, symbolic links as `-> target`. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      const rel = path.relative(dir, p);
      const mode = (fs.lstatSync(p).mode & 0o777).toString(8);
      if (e.isSymbolicLink()) out[rel] = `-> ${fs.readlinkSync(p)}`;
      else if (e.isDirectory()) {
        out[`${rel}/`] = mode;
        walk(p);
      } else out[rel] = `${mode} ${fs.readFileSync(p, 'utf8')}`;
    }
  };
  walk(dir);
  return out;
}

/** A project directory that is nobody's output: a git repository with sources. */
function project(dir: string): void {
  fs.mkdirSync(path.join(dir, '.git', 'objects'), { recursive: true });
  fs.writeFileSync(path.join(dir, '.git', 'HEAD'), 'ref: refs/heads/main\n');
  fs.mkdirSync(path.join(dir, 'src'));
  fs.writeFileSync(path.join(dir, 'src', 'index.ts'), 'export {};\n');
}

function files(label: string, count = 3): Map<string, string> {
  return new Map(Array.from({ length: count }, (_, i) => [`f${i}.k8s.yaml`, `${label} ${i}\n`] as const));
}

/** The output `label` as `files` writes it, read back: names → content, marker included. */
function contentOf(dir: string): Record<string, string> {
  return Object.fromEntries(fs.readdirSync(dir).sort().map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')]));
}
const expected = (label: string, count = 3) => ({
  [OUTPUT_MARKER]: fs.readFileSync(path.join(root, 'charts', OUTPUT_MARKER), 'utf8'),
  ...Object.fromEntries(files(label, count)),
});

function run(args: string[], options: { cwd?: string; env?: Record<string, string>; umask?: string } = {}) {
  const cmd = options.umask ? 'sh' : process.execPath;
  const argv = ['--require', tsx, ...args];
  const r = spawnSync(cmd, options.umask ? ['-c', `umask ${options.umask} && exec "$0" "$@"`, process.execPath, ...argv] : argv, {
    cwd: options.cwd ?? root,
    env: { ...process.env, ...options.env },
    encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
const synth = (env: Record<string, string>, cwd = root) => run([path.join(root, 'lib', 'cli', 'index.ts'), 'synth', '--charts', path.join(root, 'apps', 'stack.ts')], { env, cwd });

/** One line on stderr, no stack trace. */
function expectOneLine(stderr: string, pattern: RegExp): void {
  expect(stderr.trimEnd()).toMatch(pattern);
  expect(stderr.trimEnd().split('\n'), stderr).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /);
}

describe('a directory chart-as-code did not write is never replaced', () => {
  it('CHART_AS_CODE_DIST=<a repository> npm run synth: one line, exit 1, .git/ and src/ untouched', () => {
    const { parent, target } = place('repo');
    fs.mkdirSync(target);
    project(target);
    const before = snapshot(parent);
    const r = synth({ CHART_AS_CODE_DIST: target });
    expect(r.status).toBe(1);
    expectOneLine(r.stderr, /^error: refusing to replace .*repo: chart-as-code did not write it \(it holds \.git, src and no \.chart-as-code-output\)/);
    expect(snapshot(parent)).toEqual(before);
  });

  it.each([
    ['.', 'it is the current directory or one of its parents'],
    ['..', 'it is the current directory or one of its parents'],
    ['/', 'it is the root directory'],
  ])('CHART_AS_CODE_DIST=%s is refused whatever it holds', (dist, why) => {
    const { parent } = place();
    const cwd = path.join(parent, 'repo');
    fs.mkdirSync(cwd);
    project(cwd);
    // Even a marker does not make the current directory, its parents or / replaceable.
    fs.writeFileSync(path.join(cwd, OUTPUT_MARKER), 'planted\n');
    const before = snapshot(parent);
    const r = synth({ CHART_AS_CODE_DIST: dist }, cwd);
    expect(r.status).toBe(1);
    expectOneLine(r.stderr, new RegExp(`^error: refusing to replace .*: ${why}$`));
    expect(snapshot(parent)).toEqual(before);
  });

  it('the home directory is refused, marker or not', () => {
    const { target } = place('home');
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, OUTPUT_MARKER), 'planted\n');
    const r = synth({ CHART_AS_CODE_DIST: target, HOME: target });
    expect(r.status).toBe(1);
    expectOneLine(r.stderr, /^error: refusing to replace .*home: it is the home directory$/);
    expect(fs.readdirSync(target)).toEqual([OUTPUT_MARKER]);
  });

  it('library calls refuse it too (OutputError), and leave it as it was', () => {
    const { parent, target } = place('repo');
    fs.mkdirSync(target);
    project(target);
    const before = snapshot(parent);
    const tenants = [{ id: 't', chart: mdIcapsrvChart }];
    expect(() => synthManifests(tenants, target)).toThrow(OutputError);
    expect(() => synthManifests(tenants, target)).toThrow(/refusing to replace .*repo: chart-as-code did not write it/);
    expect(() => synthManifests([{ id: 'c', build: () => undefined }], target)).toThrow(OutputError);
    expect(() => writeHelmCharts(systems, target)).toThrow(OutputError);
    expect(snapshot(parent)).toEqual(before);
  });

  it('one foreign file among manifests is enough to refuse', () => {
    const { parent, target } = place();
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, 'a.k8s.yaml'), 'kind: ConfigMap\n');
    fs.writeFileSync(path.join(target, 'notes.txt'), 'mine\n');
    const before = snapshot(parent);
    expect(() => synthManifests([{ chart: mdIcapsrvChart }], target)).toThrow(/holds a\.k8s\.yaml, notes\.txt and no \.chart-as-code-output/);
    expect(snapshot(parent)).toEqual(before);
  });

  it('a symbolic link is refused, and neither it nor what it points to changes', () => {
    const { parent, target } = place('link');
    const elsewhere = path.join(parent, 'elsewhere');
    replaceDirectory(elsewhere, files('ours'));
    fs.symlinkSync(elsewhere, target);
    const before = snapshot(parent);
    expect(() => replaceDirectory(target, files('new'))).toThrow(/refusing to replace .*link: it is a symbolic link/);
    expect(snapshot(parent)).toEqual(before);
  });

  it('a symbolic link among the parents is followed: the output is written where it points', () => {
    const { parent } = place();
    fs.mkdirSync(path.join(parent, 'real'));
    fs.symlinkSync(path.join(parent, 'real'), path.join(parent, 'via'));
    replaceDirectory(path.join(parent, 'via', 'out'), files('linked'));
    expect(contentOf(path.join(parent, 'real', 'out'))).toEqual(expected('linked'));
    expect(fs.readdirSync(path.join(parent, 'real'))).toEqual(['out']);
  });

  it('a file is refused; a parent that is a file is one clear error', () => {
    const { parent, target } = place('file');
    fs.writeFileSync(target, 'mine\n');
    const before = snapshot(parent);
    expect(() => replaceDirectory(target, files('new'))).toThrow(/refusing to replace .*file: it is not a directory/);
    expect(() => replaceDirectory(path.join(target, 'below'), files('new'))).toThrow(/^cannot write .*file\/below: /);
    expect(snapshot(parent)).toEqual(before);
  });

  it('a read-only parent: one clear error, the old output as it was', () => {
    const { parent, target } = place();
    replaceDirectory(target, files('old'));
    const before = snapshot(parent);
    // chmod stops others; root only the immutable attribute does (where chattr is).
    fs.chmodSync(parent, 0o555);
    const immutable = process.getuid?.() === 0 && spawnSync('chattr', ['+i', parent]).status === 0;
    try {
      const probe = path.join(parent, 'probe');
      let writable = true;
      try {
        fs.writeFileSync(probe, '');
        fs.rmSync(probe);
      } catch {
        writable = false;
      }
      // Never skipped: a parent that stays writable would make this case prove nothing.
      expect(writable, 'the parent could not be made read-only (as root that needs chattr +i)').toBe(false);
      expect(() => replaceDirectory(target, files('new'))).toThrow(/^cannot write .*out: (EACCES|EPERM): [^\n]*$/);
    } finally {
      if (immutable) spawnSync('chattr', ['-i', parent]);
      fs.chmodSync(parent, 0o755);
    }
    expect(snapshot(parent)).toEqual(before);
  });

  it('a file name leaving the output directory is refused before anything is swapped', () => {
    const { parent, target } = place();
    replaceDirectory(target, files('old'));
    const before = snapshot(parent);
    expect(() => replaceDirectory(target, new Map([['../escaped.yaml', 'x']]))).toThrow(/cannot write "..\/escaped.yaml": not a file name inside/);
    expect(() => replaceDirectory(target, new Map([[OUTPUT_MARKER, 'x']]))).toThrow(/not a file name inside/);
    expect(snapshot(parent)).toEqual(before);
  });
});

describe('a directory chart-as-code wrote is replaced', () => {
  it('a new one, an empty one, and one with the marker; files no longer given are gone', () => {
    const { target } = place();
    replaceDirectory(target, files('one', 5));
    expect(contentOf(target)).toEqual(expected('one', 5));
    replaceDirectory(target, files('two', 2));
    expect(contentOf(target)).toEqual(expected('two', 2));
    const empty = place().target;
    fs.mkdirSync(empty);
    replaceDirectory(empty, files('three'));
    expect(contentOf(empty)).toEqual(expected('three'));
  });

  it('dist/ of a version before the marker (only *.k8s.yaml) by npm run synth, and the CDK8S_OUTDIR copy', () => {
    const { parent, target } = place('dist');
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, 'gone.k8s.yaml'), 'old\n');
    const cli = path.join(parent, 'cli-out');
    fs.mkdirSync(cli);
    const r = synth({ CHART_AS_CODE_DIST: target, CDK8S_OUTDIR: cli });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const written = systems.map((s) => `${s.name}.k8s.yaml`);
    expect(fs.readdirSync(target).sort()).toEqual([OUTPUT_MARKER, ...written].sort());
    expect(snapshot(cli)).toEqual(snapshot(target));
    expect(fs.readdirSync(parent).sort()).toEqual(['cli-out', 'dist']);
    // The CLI's directory gets the same guarantee: one it did not make is refused, dist/ untouched.
    fs.rmSync(cli, { recursive: true });
    fs.mkdirSync(cli);
    project(cli);
    fs.writeFileSync(path.join(target, written[0]!), 'previous\n');
    const before = snapshot(parent);
    const again = synth({ CHART_AS_CODE_DIST: target, CDK8S_OUTDIR: cli });
    expect(again.status).toBe(1);
    expectOneLine(again.stderr, /^error: refusing to replace .*cli-out: chart-as-code did not write it/);
    expect(snapshot(parent)).toEqual(before);
  });

  it('writeHelmCharts: every chart in one directory swapped together, marker included; charts of a version before the marker are replaced', () => {
    const { target } = place('charts');
    writeHelmCharts(systems, target);
    expect(fs.readdirSync(target).sort()).toEqual([OUTPUT_MARKER, ...systems.map((s) => s.name)].sort());
    // The committed charts/ holds the same marker, byte for byte.
    expect(fs.readFileSync(path.join(target, OUTPUT_MARKER), 'utf8')).toBe(fs.readFileSync(path.join(root, 'charts', OUTPUT_MARKER), 'utf8'));
    // As the previous version left charts/: no marker, a stale chart folder generated by chart-as-code.
    fs.rmSync(path.join(target, OUTPUT_MARKER));
    fs.renameSync(path.join(target, 'md-core'), path.join(target, 'old-chart'));
    writeHelmCharts(systems.slice(0, 1), target);
    expect(fs.readdirSync(target).sort()).toEqual([OUTPUT_MARKER, systems[0]!.name].sort());
    // The version before swapped charts one at a time: a run killed while staging one left its folder here.
    fs.rmSync(path.join(target, OUTPUT_MARKER));
    fs.mkdirSync(path.join(target, '.md-core.new-x1Y2z3'));
    fs.writeFileSync(path.join(target, '.md-core.new-x1Y2z3', 'values.yaml'), 'half\n');
    writeHelmCharts(systems.slice(0, 1), target);
    expect(fs.readdirSync(target).sort()).toEqual([OUTPUT_MARKER, systems[0]!.name].sort());
    // A hand-written chart (its Chart.yaml not generated) next to them is not ours.
    fs.rmSync(path.join(target, OUTPUT_MARKER));
    fs.mkdirSync(path.join(target, 'mine'));
    fs.writeFileSync(path.join(target, 'mine', 'Chart.yaml'), 'apiVersion: v2\nname: mine\n');
    expect(() => writeHelmCharts(systems, target)).toThrow(/refusing to replace .*charts: chart-as-code did not write it/);
  });

  it('paths with spaces and newlines are written, and refused in one line', () => {
    const { target } = place('out dir\nnext line');
    replaceDirectory(target, files('odd'));
    expect(contentOf(target)).toEqual(expected('odd'));
    const other = place('a b\nc').target;
    fs.mkdirSync(other);
    fs.writeFileSync(path.join(other, 'x\ny'), '');
    let message = '';
    try {
      replaceDirectory(other, files('odd'));
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^refusing to replace ".*a b\\nc": chart-as-code did not write it \(it holds "x\\ny" and no/);
    expect(message).not.toContain('\n');
  });
});

describe('modes follow the umask, as mkdir makes them', () => {
  it.each([
    ['022', '755', '644'],
    ['077', '700', '600'],
    ['027', '750', '640'],
  ])('umask %s: directories %s, files %s', (umask, dirMode, fileMode) => {
    const { target } = place();
    const r = run([child, target, 'm'], { umask });
    expect(r.stderr).toBe('');
    const snap = snapshot(target);
    const mode = (p: string) => (fs.statSync(p).mode & 0o777).toString(8);
    expect(mode(target)).toBe(dirMode);
    expect(Object.entries(snap).filter(([k]) => k.endsWith('/')).map(([, v]) => v)).toEqual([dirMode, dirMode]);
    expect(new Set(Object.entries(snap).filter(([k]) => !k.endsWith('/')).map(([, v]) => v.split(' ')[0]))).toEqual(new Set([fileMode]));
  });

  it('npm run charts under umask 077 and 022', () => {
    for (const [umask, dirMode, fileMode] of [['077', '700', '600'], ['022', '755', '644']] as const) {
      const { target } = place('charts');
      expect(run([path.join(root, 'scripts', 'charts.ts'), target], { umask }).status).toBe(0);
      const modes = new Set(Object.entries(snapshot(target)).map(([k, v]) => (k.endsWith('/') ? `d${v}` : `f${v.split(' ')[0]}`)));
      expect(modes).toEqual(new Set([`d${dirMode}`, `f${fileMode}`]));
      expect((fs.statSync(target).mode & 0o777).toString(8)).toBe(dirMode);
    }
  });
});

describe('one writer at a time', () => {
  it('two overlapping runs: the second fails in one line naming the first, the first completes, nothing left behind', async () => {
    const { parent, target } = place();
    const first = spawn(process.execPath, ['--require', tsx, child, target, 'first', '50'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const firstDone = new Promise<{ status: number | null; stderr: string }>((resolve) => {
      let stderr = '';
      first.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      first.on('close', (status) => resolve({ status, stderr }));
    });
    const lockFile = path.join(parent, '.out.cac-lock');
    const deadline = Date.now() + 60_000;
    // The lock exists before it holds its pid (created exclusively, then written): wait for both.
    const held = () => (fs.existsSync(lockFile) ? fs.readFileSync(lockFile, 'utf8') : '');
    while (held() === '' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(held()).toMatch(new RegExp(`^${first.pid} \\d+\\n$`));
    const second = run([child, target, 'second']);
    expect(second.status).toBe(1);
    expectOneLine(second.stderr, new RegExp(`^error: .*out is being written by another chart-as-code run \\(pid ${first.pid}\\); run again when it has finished$`));
    const done = await firstDone;
    expect(done).toEqual({ status: 0, stderr: '' });
    expect(fs.readdirSync(parent)).toEqual(['out']);
    expect(fs.readFileSync(path.join(target, 'f19.k8s.yaml'), 'utf8')).toBe('first 19\n');
  });

  it('a lock left by a dead process is taken over; one held by a live process refuses, changing nothing', () => {
    const { parent, target } = place();
    replaceDirectory(target, files('old'));
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    fs.writeFileSync(path.join(parent, '.out.cac-lock'), `${dead} 1\n`);
    replaceDirectory(target, files('new'));
    expect(contentOf(target)).toEqual(expected('new'));
    expect(fs.readdirSync(parent)).toEqual(['out']);
    // A live holder: this very process, as a concurrent run in it would record itself.
    const start = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ')[19];
    fs.writeFileSync(path.join(parent, '.out.cac-lock'), `${process.pid} ${start}\n`);
    const before = snapshot(parent);
    expect(() => replaceDirectory(target, files('newer'))).toThrow(new RegExp(`is being written by another chart-as-code run \\(pid ${process.pid}\\)`));
    expect(snapshot(parent)).toEqual(before);
    // The same pid with another start time is a new process that reused it: stale.
    fs.writeFileSync(path.join(parent, '.out.cac-lock'), `${process.pid} 1\n`);
    replaceDirectory(target, files('newest'));
    expect(contentOf(target)).toEqual(expected('newest'));
    expect(fs.readdirSync(parent)).toEqual(['out']);
  });
});

describe('a killed run leaves the complete old or the complete new output, and the next run cleans up', () => {
  /** Set up `target` (old output) and the leftovers of a run killed at one step, then run again. */
  function killedAt(step: (p: { parent: string; target: string; staging: string; old: string }) => void) {
    const { parent, target } = place();
    replaceDirectory(target, files('old'));
    const staging = path.join(parent, '.out.cac-new');
    const old = path.join(parent, '.out.cac-old');
    // Staging is written as replaceDirectory writes it: marker first, then the files.
    const stage = (dir: string, label: string) => {
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, OUTPUT_MARKER), expected(label)[OUTPUT_MARKER]!);
      for (const [f, c] of files(label)) fs.writeFileSync(path.join(dir, f), c);
    };
    const places = { parent, target, staging, old };
    return { ...places, stage, after: () => step(places) };
  }

  it.each([
    ['staging just made (empty)', (p: { staging: string }) => fs.mkdirSync(p.staging)],
    ['staging half written', (p: { staging: string }) => (fs.mkdirSync(p.staging), fs.writeFileSync(path.join(p.staging, OUTPUT_MARKER), 'x'), fs.writeFileSync(path.join(p.staging, 'f0.k8s.yaml'), 'half'))],
    ['lock taken, nothing else', (p: { parent: string }) => fs.writeFileSync(path.join(p.parent, '.out.cac-lock'), '999999999 1\n')],
  ])('killed while staging (%s): target is the old output; the next run writes the new one', (_, kill) => {
    const c = killedAt(kill);
    c.after();
    expect(contentOf(c.target)).toEqual(expected('old'));
    replaceDirectory(c.target, files('new'));
    expect(contentOf(c.target)).toEqual(expected('new'));
    expect(fs.readdirSync(c.parent)).toEqual(['out']);
  });

  it('killed after the exchange (staging holds the old output): target is the new output; the next run removes the old', () => {
    const c = killedAt(() => undefined);
    fs.renameSync(c.target, c.staging);
    c.stage(c.target, 'new');
    expect(contentOf(c.target)).toEqual(expected('new'));
    replaceDirectory(c.target, files('newer'));
    expect(contentOf(c.target)).toEqual(expected('newer'));
    expect(fs.readdirSync(c.parent)).toEqual(['out']);
  });

  it('two-rename swap killed between the renames: the next run restores the old output first, even if it then fails', () => {
    const c = killedAt(() => undefined);
    c.stage(c.staging, 'new');
    fs.renameSync(c.target, c.old);
    expect(fs.existsSync(c.target)).toBe(false);
    function* failing(): Generator<[string, string]> {
      yield ['f0.k8s.yaml', 'partial'];
      throw new Error('bad values');
    }
    expect(() => replaceDirectory(c.target, failing())).toThrow('bad values');
    expect(contentOf(c.target)).toEqual(expected('old'));
    expect(fs.readdirSync(c.parent)).toEqual(['out']);
  });

  it('two-rename swap killed after the second rename: target is the new output; the next run removes the old', () => {
    const c = killedAt(() => undefined);
    fs.renameSync(c.target, c.old);
    c.stage(c.target, 'new');
    replaceDirectory(c.target, files('newer'));
    expect(contentOf(c.target)).toEqual(expected('newer'));
    expect(fs.readdirSync(c.parent)).toEqual(['out']);
  });

  it('leftovers of the version before (.out.new-XXXXXX, .out.new-XXXXXX.old with no out): restored and removed', () => {
    const { parent, target } = place();
    for (const [dir, label] of [['.out.new-Ab12Cd.old', 'old'], ['.out.new-Ab12Cd', 'new']] as const) {
      fs.mkdirSync(path.join(parent, dir));
      for (const [f, c] of files(label)) fs.writeFileSync(path.join(parent, dir, f), c);
    }
    function* failing(): Generator<[string, string]> {
      throw new Error('bad values');
    }
    expect(() => replaceDirectory(target, failing(), { previousOutput: onlyFilesEndingWith('.k8s.yaml') })).toThrow('bad values');
    expect(fs.readdirSync(parent)).toEqual(['out']);
    expect(contentOf(target)).toEqual(Object.fromEntries(files('old')));
  });

  it('a directory in the way that chart-as-code did not write is refused, not removed', () => {
    const { parent, target } = place();
    replaceDirectory(target, files('old'));
    fs.mkdirSync(path.join(parent, '.out.cac-new'));
    fs.writeFileSync(path.join(parent, '.out.cac-new', 'precious'), 'mine\n');
    const before = snapshot(parent);
    expect(() => replaceDirectory(target, files('new'))).toThrow(/\.out\.cac-new is in the way: .* did not write it; remove or rename it/);
    expect(snapshot(parent)).toEqual(before);
  });

  it.each<[string, Record<string, string>]>([
    ['one-step exchange', {}],
    ['two renames (CHART_AS_CODE_EXCHANGE=off)', { CHART_AS_CODE_EXCHANGE: 'off' }],
  ])('a real writer killed at a random instant (%s): complete old or new output, recovered by the next run', async (_, env) => {
    const { parent, target } = place();
    replaceDirectory(target, files('start', 20));
    const seen = new Set<string>();
    let missing = 0;
    let swaps = 0;
    let last = '';
    const writer = spawn(process.execPath, ['--require', tsx, child, target, '-', '0', 'loop'], { cwd: root, env: { ...process.env, ...env }, stdio: 'ignore' });
    // Watch the target while the writer swaps it again and again (two renames leave it missing ~10 times a swap here).
    const until = Date.now() + 60_000;
    while (swaps < 30 && Date.now() < until) {
      try {
        const now = fs.readFileSync(path.join(target, 'f7.k8s.yaml'), 'utf8');
        if (now !== last) swaps++;
        seen.add((last = now));
      } catch {
        missing++;
      }
    }
    writer.kill('SIGKILL');
    await new Promise((r) => writer.on('close', r));
    expect(seen).toEqual(new Set(['start 7\n', 'A 7\n', 'B 7\n']));
    if (!env.CHART_AS_CODE_EXCHANGE) expect(missing).toBe(0);
    // Killed mid-swap the two-rename way, the target may be missing now; the next run puts it back first.
    function* failing(): Generator<[string, string]> {
      throw new Error('bad values');
    }
    expect(() => replaceDirectory(target, failing())).toThrow('bad values');
    expect(fs.readdirSync(parent)).toEqual(['out']);
    const label = fs.readFileSync(path.join(target, 'f0.k8s.yaml'), 'utf8').split(' ')[0]!;
    expect(snapshot(target)).toEqual(
      expect.objectContaining({ 'nested/deeper/n.k8s.yaml': expect.stringMatching(new RegExp(` ${label} nested\\n$`)) }),
    );
    for (let i = 0; i < 20; i++) expect(fs.readFileSync(path.join(target, `f${i}.k8s.yaml`), 'utf8')).toBe(`${label} ${i}\n`);
  });
});
