/**
 * The helm invocations of the publishing commands: package (optionally signed), verify, template, pull,
 * show, push, repo index. Runs through lib/tooling/helm (isolated HELM_*_HOME, so nothing touches the
 * user's repositories), except that registry logins (`helm registry login`) are read from the user's
 * registry config so pushing to and pulling from private registries works.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { availableHelms, HelmMajor, HelmResult, runHelm } from '../tooling/helm';
import { PublishError } from './cli';
import { K8sObject, maskNondeterministic, parseManifests } from './objects';

export interface HelmContext {
  major: HelmMajor;
  /** Extra environment for every helm call (HELM_REGISTRY_CONFIG, HELM_KEY_PASSPHRASE, ...). */
  env: Record<string, string>;
}

/** Options for talking to an OCI registry (flags of helm push/pull/show/template). */
export interface RegistryOptions {
  plainHttp?: boolean;
  insecureSkipTlsVerify?: boolean;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

export interface SignOptions {
  key: string;
  keyring: string;
  passphraseFile?: string;
}

/** Where helm keeps registry logins for this user (what `helm registry login` writes). */
export function userRegistryConfig(): string {
  if (process.env.HELM_REGISTRY_CONFIG) return process.env.HELM_REGISTRY_CONFIG;
  let configHome = process.env.HELM_CONFIG_HOME;
  if (!configHome) {
    const home = os.homedir();
    if (process.platform === 'darwin') configHome = path.join(home, 'Library', 'Preferences', 'helm');
    else if (process.platform === 'win32') configHome = path.join(process.env.APPDATA ?? home, 'helm');
    else configHome = path.join(process.env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'helm');
  }
  return path.join(configHome, 'registry', 'config.json');
}

/** Helm context for the commands: the requested major (default: helm 3 if available, else 4). */
export function helmContext(major?: HelmMajor, env: Record<string, string> = {}): HelmContext {
  const available = availableHelms();
  if (available.length === 0) throw new PublishError('no helm found; run `npm run helm:setup` (or put helm 3.17+ or 4.1+ on PATH)');
  const chosen = major ?? available[0]!.major;
  if (!available.some((h) => h.major === chosen)) {
    throw new PublishError(`helm ${chosen} not found; available: ${available.map((h) => `helm ${h.version}`).join(', ')}; run \`npm run helm:setup\``);
  }
  return { major: chosen, env: { HELM_REGISTRY_CONFIG: userRegistryConfig(), ...env } };
}

export function helm(ctx: HelmContext, args: string[], cwd?: string): HelmResult {
  return runHelm(ctx.major, args, { env: ctx.env, cwd });
}

/** Runs helm and returns stdout; a failure becomes a PublishError saying what was being done. */
export function helmOk(ctx: HelmContext, args: string[], what: string): string {
  const r = helm(ctx, args);
  if (r.code !== 0) {
    const detail = (r.stderr.trim() || r.stdout.trim()).replace(/^Error: /gm, '');
    throw new PublishError(`${what} failed (helm ${ctx.major}): ${detail}`);
  }
  return r.stdout;
}

export function registryFlags(o: RegistryOptions): string[] {
  const flags: string[] = [];
  if (o.plainHttp) flags.push('--plain-http');
  if (o.insecureSkipTlsVerify) flags.push('--insecure-skip-tls-verify');
  if (o.caFile) flags.push('--ca-file', o.caFile);
  if (o.certFile) flags.push('--cert-file', o.certFile);
  if (o.keyFile) flags.push('--key-file', o.keyFile);
  return flags;
}

/** True when the file is a GnuPG 2 keybox (pubring.kbx), which helm cannot read. */
function isKeybox(file: string): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(12);
    const n = fs.readSync(fd, head, 0, 12, 0);
    return n === 12 && head.subarray(8, 12).toString('latin1') === 'KBXf';
  } finally {
    fs.closeSync(fd);
  }
}

/** Checks a signing setup before anything is packaged, with the fix in the message. */
export function validateSignOptions(sign: SignOptions): void {
  if (!fs.existsSync(sign.keyring)) {
    throw new PublishError(
      `keyring ${sign.keyring} not found; export the signing key as a legacy keyring: gpg --export-secret-keys '<key name>' > secring.gpg`,
    );
  }
  if (isKeybox(sign.keyring)) {
    throw new PublishError(
      `keyring ${sign.keyring} is a GnuPG keybox, which helm cannot read; export a legacy keyring: gpg --export-secret-keys '${sign.key}' > secring.gpg`,
    );
  }
  if (sign.passphraseFile !== undefined && !fs.existsSync(sign.passphraseFile)) {
    throw new PublishError(`passphrase file ${sign.passphraseFile} not found`);
  }
}

/** `helm package` into destDir (signed when `sign` is given); returns the path of the .tgz. */
export function packageChart(ctx: HelmContext, chartDir: string, destDir: string, sign?: SignOptions): string {
  const args = ['package', chartDir, '--destination', destDir];
  if (sign) {
    args.push('--sign', '--key', sign.key, '--keyring', sign.keyring);
    if (sign.passphraseFile) args.push('--passphrase-file', sign.passphraseFile);
  }
  const out = helmOk(ctx, args, `helm package ${chartDir}`);
  const m = /saved it to: (.+\.tgz)\s*$/m.exec(out);
  if (!m) throw new Error(`unexpected helm package output: ${out}`);
  const tgz = path.resolve(m[1]!.trim());
  if (sign) {
    if (!fs.existsSync(`${tgz}.prov`)) throw new PublishError(`helm package --sign produced no provenance file for ${tgz}`);
    helmOk(ctx, ['verify', tgz, '--keyring', sign.keyring], `verifying the signature of ${path.basename(tgz)}`);
  }
  return tgz;
}

export interface RenderOptions {
  release: string;
  namespace: string;
  valuesFiles?: string[];
  /** Extra helm flags (registry flags, --version). */
  extraArgs?: string[];
}

/** `helm template` of a chart (directory, .tgz or oci:// reference) parsed into objects. */
export function helmTemplate(ctx: HelmContext, chartRef: string, opts: RenderOptions): K8sObject[] {
  const args = ['template', opts.release, chartRef, '--namespace', opts.namespace, ...(opts.extraArgs ?? [])];
  for (const f of opts.valuesFiles ?? []) args.push('--values', f);
  const out = helmOk(ctx, args, `helm template ${chartRef}`);
  return parseManifests(out, `helm template ${chartRef}`);
}

/** helmTemplate twice, with values that differ between the two renders (random passwords) masked. */
export function renderStable(ctx: HelmContext, chartRef: string, opts: RenderOptions): K8sObject[] {
  return maskNondeterministic(helmTemplate(ctx, chartRef, opts), helmTemplate(ctx, chartRef, opts), opts.namespace);
}
