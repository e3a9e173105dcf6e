/**
 * One way to write an object's default: derived from its fields' defaults, never restated. The default is
 * what parsing `{}` gives, so values.yaml, values.schema.json and the parsed values say the same thing and
 * a field's default is written once, at the field.
 */
import { z } from 'zod';

/** `schema`, defaulting to the object its fields' defaults make. */
export function defaulted<T extends z.ZodType>(schema: T): z.ZodDefault<T> {
  return schema.default(schema.parse({}) as z.util.NoUndefined<z.core.output<T>>);
}
