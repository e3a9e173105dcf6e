/**
 * `npm run types`: writes lib/systems/<system>/values.generated.ts, the values interfaces with each field's
 * description and default as TSDoc, from each system's zod schema.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runMain } from '../lib/core/output';
import { systemValuesSchemas } from '../lib/tooling/values-schemas';
import { VALUES_TYPES, valuesTypesFile } from '../lib/tooling/values-types';

runMain(() => {
  for (const entry of VALUES_TYPES) {
    const file = path.join(__dirname, '..', 'lib', 'systems', entry.system, 'values.generated.ts');
    fs.writeFileSync(file, valuesTypesFile(entry, systemValuesSchemas[entry.schema]));
    process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
  }
});
