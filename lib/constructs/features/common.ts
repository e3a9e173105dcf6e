/** Schema pieces several product features share: hosts, URLs, file keys and the "required when enabled" rules. */
import { z } from 'zod';
import { CONFIG_KEY, port } from '../../core/schema';

const HOST_NAME = '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*';
export const HOST = new RegExp(`^${HOST_NAME}$`);
/** A host, or an http(s) URL of one (port and path allowed), without credentials in it. */
export const HOST_OR_URL = new RegExp(`^(https?:\\/\\/)?${HOST_NAME}(:[0-9]{1,5})?(\\/[-A-Za-z0-9._~%/]*)?$`);
/** Characters a user name may hold where it is put into a URL (RFC 3986 userinfo, without ':' and '@'). */
export const URL_USER = /^[-A-Za-z0-9._~!$&'()*+,;=%]*$/;
/** A file or Secret/ConfigMap key name. */
export const KEY = new RegExp(CONFIG_KEY);
/** An absolute path without spaces. */
export const ABS_PATH = /^\/[-A-Za-z0-9._/]*$/;
/** A product config key, "<section>/<setting>". */
export const CONF_KEY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

export const optionalPort = () => z.union([z.literal(0), port()]);
/** A host name or address; empty means not set. */
export const optionalHost = () => z.union([z.literal(''), z.string().max(253).regex(HOST)]);

/** JSON Schema condition: the object's `enabled` is true. */
export const ifEnabled = { if: { properties: { enabled: { const: true } }, required: ['enabled'] } };
/** JSON Schema: `key` or `existingSecret` is given. */
export const givenOrExisting = (key: string) => ({
  anyOf: [
    { properties: { [key]: { minLength: 1 } }, required: [key] },
    { properties: { existingSecret: { minLength: 1 } }, required: ['existingSecret'] },
  ],
});
