/**
 * `npm run readme`: writes the README tables derived from running code, today the table of the vendor's
 * example values files converted (lib/tooling/vendor-files.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runMain } from '../lib/core/output';
import { withVendorFilesTable } from '../lib/tooling/vendor-files';

runMain(() => {
  const root = path.join(__dirname, '..');
  const file = path.join(root, 'README.md');
  fs.writeFileSync(file, withVendorFilesTable(fs.readFileSync(file, 'utf8'), path.join(root, 'test', 'fixtures', 'vendor-values')));
  process.stdout.write('wrote README.md\n');
});
