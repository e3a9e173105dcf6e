/**
 * Private CA certificates the server trusts when it connects to other servers (ICAP_TRUST_CERTS_PATH):
 * each Secret key is projected into one directory as <secret>-<key>.
 */
import { z } from 'zod';
import { dnsName } from '../../core/schema';
import { defineFeature, ProductNames } from '../feature';
import { bool, Map, toStr, whenOn } from '../../convert/engine';
import { ABS_PATH, KEY } from './common';

export const trustedCertificates = (p: ProductNames) => {
  const vendor = `${p.vendorKey}.trustCertificate`;
  return defineFeature({
    name: 'trusted CA certificates',
    values: {
      trustedCertificates: z
        .object({
          certificates: z
            .array(
              z
                .object({
                  secret: dnsName().describe('Secret holding a CA certificate (PEM).'),
                  key: z.string().min(1).max(253).regex(KEY).describe('Key of the certificate in the Secret.'),
                })
                .strict(),
            )
            .default([])
            .describe('Private CA certificates the server trusts when it connects to other servers (ICAP_TRUST_CERTS_PATH); each mounted as <secret>-<key>.'),
          mountPath: z.string().max(253).regex(ABS_PATH).default('/trust_certs').describe('Directory the certificates are mounted into.'),
        })
        .strict()
        .prefault({}),
    },
    pod: ({ render, own: { trustedCertificates: trusted } }) => ({
      env: render.itemsIf(trusted.certificates, [{ name: 'ICAP_TRUST_CERTS_PATH', value: trusted.mountPath }]),
      volumeMounts: render.itemsIf(trusted.certificates, [{ name: 'trusted-certificates', mountPath: trusted.mountPath, readOnly: true }]),
      volumes: render.itemsIf(trusted.certificates, [
        {
          name: 'trusted-certificates',
          projected: {
            // CA certificates are public: readable by every user of the pod.
            defaultMode: 0o444,
            sources: render.each(trusted.certificates, (c) => ({ secret: { name: c.secret, items: [{ key: c.key, path: `${c.secret}-${c.key}` }] } })),
          },
        },
      ]),
    }),
    vendorRules: {
      [`${vendor}.enabled`]: (k) => (bool(k) ? k.mapped(['trustedCertificates.certificates'], k.value, 'on: the certificates of trustCertificate.configs are mounted') : k.notNeeded('off: certificates are mounted when trustedCertificates.certificates is not empty')),
      [`${vendor}.mountPath`]: whenOn(`${vendor}.enabled`, 'trusted certificates', toStr('trustedCertificates.mountPath')),
      [`${vendor}.configs`]: (k) => {
        if (k.ctx.get(`${vendor}.enabled`) !== true) return k.notNeeded('trustCertificate.enabled is false');
        const configs = (k.value as Map[]).map((c) => ({ secret: c.certSecret, key: c.certSecretSubPath }));
        k.mapped('trustedCertificates.certificates', configs, 'each mounted as <secret>-<key>');
      },
    },
    cases: [{ name: 'trusted private CA certificates', values: { trustedCertificates: { certificates: [{ secret: 'corp-ca', key: 'ca.crt' }, { secret: 'partner-ca', key: 'root.pem' }], mountPath: '/etc/trust' } } }],
  });
};
