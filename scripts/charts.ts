/**
 * `npm run charts`: writes charts/<chart>/ for every system. All charts are rendered first and each chart
 * directory is swapped in whole, so an error leaves charts/ as it was.
 */
import * as path from 'node:path';
import { renderChart } from '../lib/core/system';
import { replaceDirectory, runMain } from '../lib/core/output';
import { systems } from '../lib/systems';

runMain(() => {
  const out = path.resolve(process.argv[2] ?? path.join(__dirname, '..', 'charts'));
  const rendered = systems.map((s) => ({ name: s.name, files: renderChart(s) }));
  for (const { name, files } of rendered) {
    replaceDirectory(path.join(out, name), files);
    process.stdout.write(`wrote ${path.relative(process.cwd(), path.join(out, name))}/ (${files.size} files)\n`);
  }
});
