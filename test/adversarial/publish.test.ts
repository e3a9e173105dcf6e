/**
 * Credentials in repository URLs never reach the user's screen: `--against https://user:password@host/`
 * and friends are masked in every message, log line and error, while the credentials are still sent.
 */
import { execFile } from 'node:child_process';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import * as path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redactText } from '../../lib/core/redact';
import { PublishError } from '../../lib/publish/cli';
import { packageCommand } from '../../lib/publish/commands';
import { HttpSource, OciSource, sourceFor } from '../../lib/publish/sources';
import { helmContext } from '../../lib/publish/helm';
import { captureOutput, ROOT, tempDir } from '../publish/support';

const PASSWORD = 's3cr3t-Pa55w0rd';

/** A repository host that answers every request with `status`, recording the Authorization headers. */
let server: http.Server;
let base: string;
const auth: string[] = [];
beforeAll(async () => {
  server = http.createServer((req, res) => {
    auth.push(req.headers.authorization ?? '');
    res.statusCode = req.url?.includes('missing') ? 404 : 401;
    res.end('no');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://deploy:${PASSWORD}@127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function message(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected a failure');
}

describe('URL credentials are redacted', () => {
  it('redactText masks the password of any URL in a text, keeping the user and host', () => {
    const safe = fc.stringMatching(/^[A-Za-z0-9]{1,12}$/);
    // Passwords with the characters people leave unencoded (':' '@' '/' '#' '?').
    const password = fc.stringMatching(/^[A-Za-z0-9:@/#?!$&*+=-]{1,24}$/).filter((p) => !p.startsWith('/'));
    fc.assert(
      fc.property(safe, password, safe, fc.constantFrom('https', 'http', 'oci'), (user, pw, host, scheme) => {
        const text = `cannot read ${scheme}://${user}:${pw}@${host}.example:8443/charts/index.yaml: HTTP 500`;
        const out = redactText(text);
        expect(out).toBe(`cannot read ${scheme}://${user}:***@${host}.example:8443/charts/index.yaml: HTTP 500`);
      }),
    );
    expect(redactText('https://host/x and user@host')).toBe('https://host/x and user@host');
  });

  it('an HTTP repository sends the credentials but never shows them', async () => {
    const source = new HttpSource(`${base}/charts/`);
    expect(source.where).not.toContain(PASSWORD);
    const msg = await message(source.publishedVersions('md-core'));
    expect(msg).toMatch(/^cannot read http:\/\/deploy:\*\*\*@127\.0\.0\.1:\d+\/charts\/index\.yaml: HTTP 401$/);
    expect(auth.at(-1)).toBe(`Basic ${Buffer.from(`deploy:${PASSWORD}`).toString('base64')}`);
    const missing = await message(new HttpSource(`${base}/missing`).publishedVersions('md-core'));
    expect(missing).toContain('not found (HTTP 404)');
    expect(missing).not.toContain(PASSWORD);
  });

  it('bad --against, OCI targets and --url carry no password into messages', async () => {
    const ctx = helmContext(undefined);
    expect(() => sourceFor(`ftp://u:${PASSWORD}@host/x`, ctx)).toThrow(PublishError);
    expect(await message(Promise.resolve().then(() => sourceFor(`ftp://u:${PASSWORD}@host/x`, ctx)))).not.toContain(PASSWORD);
    expect(new OciSource(`oci://u:${PASSWORD}@registry/charts`, ctx).where).toBe('oci://u:***@registry/charts');
    // A password in --url would be written into the published index.yaml: refused.
    const out = captureOutput();
    const msg = await message(packageCommand(['--url', `https://u:${PASSWORD}@cdn.example/charts`, '--out', tempDir('adv-url-')], { out }));
    expect(msg).toBe('--url https://u:***@cdn.example/charts: must not hold a password (it is written into the published index.yaml)');
    expect(out.text()).not.toContain(PASSWORD);
  });

  it('npm run publish:check --against https://user:password@host/ prints no password (child process)', async () => {
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(process.execPath, ['--require', 'tsx/cjs', path.join(ROOT, 'scripts/publish/check.ts'), '--against', `${base}/repo`], { cwd: ROOT }, (e, stdout, stderr) =>
        resolve({ code: e ? Number(e.code) : 0, stdout, stderr }),
      ),
    );
    expect(code).toBe(1);
    expect(stdout + stderr).not.toContain(PASSWORD);
    expect(stdout).toContain('published versions: http://deploy:***@127.0.0.1');
    expect(stderr).toMatch(/^error: cannot read http:\/\/deploy:\*\*\*@127\.0\.0\.1:\d+\/repo\/index\.yaml: HTTP 401\n$/);
  });
});
