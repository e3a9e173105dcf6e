/**
 * Provenance: throwaway GnuPG keys sign the packages (`npm run package -- --sign`); helm 3 and helm 4 verify
 * them (`helm verify`, and `helm pull --verify` from an HTTP repository and an OCI registry, which is what
 * `helm install --verify` does); tampered packages and foreign keys fail verification.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HelmMajor, runHelm } from '../../lib/tooling/helm';
import { ociCommand, packageCommand } from '../../lib/publish/commands';
import { PublishError } from '../../lib/publish/cli';
import {
  captureOutput,
  GpgKey,
  helmHome,
  helmOk,
  makeGpgKey,
  Registry,
  serveStatic,
  sourceCharts,
  startRegistry,
  StaticServer,
  stopGpgAgent,
  tempDir,
} from './support';

describe('provenance (signed packages)', () => {
  let dir: string;
  let repo: string;
  let key: GpgKey;
  let stranger: GpgKey;
  let server: StaticServer;
  let registry: Registry;
  const keys: GpgKey[] = [];
  const charts = sourceCharts();
  const env = (): Record<string, string> => helmHome(path.join(dir, 'helm'));

  beforeAll(async () => {
    dir = tempDir('prov');
    key = makeGpgKey(dir, 'Chart Signer');
    stranger = makeGpgKey(dir, 'Someone Else');
    keys.push(key, stranger);
    const www = path.join(dir, 'www');
    repo = path.join(www, 'charts');
    server = await serveStatic(www);
    fs.mkdirSync(path.join(dir, 'registry'));
    registry = await startRegistry(path.join(dir, 'registry'));
    const out = captureOutput();
    await packageCommand(['--out', repo, '--url', `${server.url}/charts`, '--sign', '--key', key.name, '--keyring', key.secring], { helmEnv: env(), out });
    expect(out.text()).toContain(`signed with "${key.name}"`);
  });

  afterAll(async () => {
    await server?.close();
    await registry?.stop();
    for (const k of keys) stopGpgAgent(k);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('writes a .prov next to every package', () => {
    for (const c of charts) {
      const prov = fs.readFileSync(path.join(repo, `${c.name}-${c.version}.tgz.prov`), 'utf8');
      expect(prov).toMatch(/^-----BEGIN PGP SIGNED MESSAGE-----/);
      expect(prov).toContain(`${c.name}-${c.version}.tgz: sha256:`);
    }
  });

  describe.each([3, 4] as HelmMajor[])('helm %i', (major) => {
    it('helm verify passes with the public key, fails for a tampered package or a foreign key', () => {
      for (const c of charts) {
        const tgz = path.join(repo, `${c.name}-${c.version}.tgz`);
        const ok = runHelm(major, ['verify', tgz, '--keyring', key.pubring], { env: env() });
        expect(ok.code, ok.stderr).toBe(0);
        expect(ok.stdout + ok.stderr).toContain('Signed by: Chart Signer');

        const foreign = runHelm(major, ['verify', tgz, '--keyring', stranger.pubring], { env: env() });
        expect(foreign.code).not.toBe(0);

        // Tamper: same file name, one byte more, next to the original .prov.
        const tamperedDir = fs.mkdtempSync(path.join(dir, `tampered${major}-`));
        const tampered = path.join(tamperedDir, path.basename(tgz));
        fs.writeFileSync(tampered, Buffer.concat([fs.readFileSync(tgz), Buffer.from([0])]));
        fs.copyFileSync(`${tgz}.prov`, `${tampered}.prov`);
        const bad = runHelm(major, ['verify', tampered, '--keyring', key.pubring], { env: env() });
        expect(bad.code).not.toBe(0);
        expect(bad.stderr).toMatch(/sha256 sum does not match/);
      }
    });

    it('helm pull --verify from the HTTP repository (what helm install --verify does)', () => {
      const e = helmHome(path.join(dir, `http${major}`));
      helmOk(major, ['repo', 'add', 'signed', `${server.url}/charts`], e);
      for (const c of charts) {
        const dest = fs.mkdtempSync(path.join(dir, 'pull-'));
        const out = helmOk(major, ['pull', `signed/${c.name}`, '--version', c.version, '--verify', '--keyring', key.pubring, '--destination', dest], e);
        expect(out).toContain('Signed by: Chart Signer');
        const refused = runHelm(major, ['pull', `signed/${c.name}`, '--version', c.version, '--verify', '--keyring', stranger.pubring, '--destination', dest], { env: e });
        expect(refused.code).not.toBe(0);
      }
    });

    it('publish:oci --sign pushes the provenance; helm pull --verify from the registry passes', async () => {
      const e = helmHome(path.join(dir, `oci${major}`));
      const target = `oci://${registry.host}/signed${major}`;
      const out = captureOutput();
      await ociCommand([target, '--plain-http', '--helm', String(major), '--sign', '--key', key.name, '--keyring', key.secring], { helmEnv: e, out });
      for (const c of charts) {
        expect(out.text()).toContain(`pushed ${target}/${c.name}:${c.version} (with provenance)`);
        const dest = fs.mkdtempSync(path.join(dir, 'pull-'));
        const pulled = helmOk(major, ['pull', `${target}/${c.name}`, '--version', c.version, '--plain-http', '--verify', '--keyring', key.pubring, '--destination', dest], e);
        expect(pulled).toContain('Signed by: Chart Signer');
        expect(fs.existsSync(path.join(dest, `${c.name}-${c.version}.tgz.prov`))).toBe(true);
      }
    });
  });

  it('signs with a passphrase-protected key via --passphrase-file (helm 3 and 4)', async () => {
    const secret = makeGpgKey(dir, 'Protected Signer', 'correct horse');
    keys.push(secret);
    const passFile = path.join(dir, 'passphrase.txt');
    fs.writeFileSync(passFile, 'correct horse\n');
    for (const major of [3, 4] as HelmMajor[]) {
      const out = path.join(dir, `protected${major}`);
      const args = ['--out', out, '--helm', String(major), '--sign', '--key', secret.name, '--keyring', secret.secring];
      await packageCommand([...args, '--passphrase-file', passFile], { helmEnv: env(), out: captureOutput() });
      for (const c of charts) {
        const r = runHelm(major, ['verify', path.join(out, `${c.name}-${c.version}.tgz`), '--keyring', secret.pubring], { env: env() });
        expect(r.code, r.stderr).toBe(0);
      }
    }
  });

  it('explains signing setup mistakes before packaging anything', async () => {
    const run = (args: string[]): Promise<void> => packageCommand(['--out', path.join(dir, 'never'), ...args], { helmEnv: env(), out: captureOutput() });
    // GnuPG 2 keeps keys in a keybox, which helm cannot read.
    const keybox = path.join(key.home, 'pubring.kbx');
    await expect(run(['--sign', '--key', key.name, '--keyring', keybox])).rejects.toThrow(/keybox.*gpg --export-secret-keys/);
    await expect(run(['--sign', '--key', key.name, '--keyring', path.join(dir, 'missing.gpg')])).rejects.toThrow(/not found/);
    await expect(run(['--sign', '--keyring', key.secring])).rejects.toThrow(/--sign needs --key/);
    await expect(run(['--key', key.name])).rejects.toThrow(PublishError);
    // A key that is not in the keyring: helm's own error, as a PublishError.
    await expect(run(['--sign', '--key', 'Nobody', '--keyring', key.secring])).rejects.toThrow(/helm package .* failed/);
    expect(fs.existsSync(path.join(dir, 'never'))).toBe(false);
  });
});
