/**
 * TLS endpoints of the OPSWAT products: a certificate Secret and a key Secret, projected into one
 * directory with a mode the application accepts (never world-readable).
 */
import { z } from 'zod';
import { CONFIG_KEY, dnsName } from '../core/schema';
import { ValueOrConstant, ValueTree } from '../core/template';

const tlsProtocols = z.array(z.enum(['TLSv1.3', 'TLSv1.2', 'TLSv1.1', 'TLSv1', 'SSLv3'])).min(1);

/** Values of one TLS endpoint; files are "<prefix>-<endpoint>.crt/.key" as the product expects. */
export const tlsEndpointValues = (prefix: string, endpoint: string, what: string) => {
  const d = {
    enabled: false,
    certSecret: `${prefix}-${endpoint}-tls-cert`,
    certSecretKey: `${prefix}-${endpoint}.crt`,
    keySecret: `${prefix}-${endpoint}-tls-cert-key`,
    keySecretKey: `${prefix}-${endpoint}.key`,
    protocols: ['TLSv1.3' as const],
  };
  return z
    .object({
      enabled: z.boolean().default(false).describe(`Serve ${what} over TLS; the two Secrets must exist.`),
      certSecret: dnsName().default(d.certSecret).describe('Secret holding the certificate (PEM).'),
      certSecretKey: z.string().min(1).max(253).regex(new RegExp(CONFIG_KEY)).default(d.certSecretKey).describe('Key of the certificate in certSecret.'),
      keySecret: dnsName().default(d.keySecret).describe('Secret holding the private key (PEM).'),
      keySecretKey: z.string().min(1).max(253).regex(new RegExp(CONFIG_KEY)).default(d.keySecretKey).describe('Key of the private key in keySecret.'),
      protocols: tlsProtocols.default(['TLSv1.3']).describe('Allowed TLS protocol versions.'),
    })
    .strict()
    .default(d);
};

export const tlsFileMode = () =>
  z.number().int().min(0).max(0o777).default(0o440).describe("Mode of the mounted TLS files (0440: readable by the pod's group, never world-readable).");

export type TlsEndpoint = ValueTree<z.output<ReturnType<typeof tlsEndpointValues>>>;

/** A projected volume with the endpoint's certificate and key as "<prefix>-<endpoint>.crt/.key". */
export function tlsVolume(prefix: string, endpoint: string, tls: TlsEndpoint, mode: ValueOrConstant<number>) {
  return {
    name: `${endpoint}-tls`,
    projected: {
      defaultMode: mode,
      sources: [
        { secret: { name: tls.certSecret, items: [{ key: tls.certSecretKey, path: `${prefix}-${endpoint}.crt` }] } },
        { secret: { name: tls.keySecret, items: [{ key: tls.keySecretKey, path: `${prefix}-${endpoint}.key` }] } },
      ],
    },
  };
}
