/**
 * `npm run charts [outDir]`: writes charts/<chart>/ for every system, all or nothing. A thin call of
 * `chart-as-code charts` (lib/cli), which finds the systems through "chart-as-code" in package.json.
 */
import { run } from '../lib/cli';

const out = process.argv[2];
void run(['charts', ...(out === undefined ? [] : ['--out', out])]).then((code) => {
  process.exitCode = code;
});
