/**
 * `npm run charts [outDir]`: writes charts/<chart>/ for every system, all or nothing.
 */
import * as path from 'node:path';
import { writeCharts } from '../lib/core/helm-chart';
import { runMain } from '../lib/core/output';
import { systems } from '../lib/systems';

runMain(() => {
  const out = path.resolve(process.argv[2] ?? path.join(__dirname, '..', 'charts'));
  for (const { name, files } of writeCharts(systems, out)) {
    process.stdout.write(`wrote ${path.relative(process.cwd(), path.join(out, name)) || '.'}/ (${files} files)\n`);
  }
});
