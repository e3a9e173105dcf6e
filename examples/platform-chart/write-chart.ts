/** Writes the Helm chart of the platform: `<out>/scanning-platform/` (templates, values.yaml, values.schema.json, README). */
import { writeHelmCharts } from 'chart-as-code';
import { platformChart } from './chart';

const out = process.argv[2] ?? 'charts';
for (const { name, files } of writeHelmCharts([platformChart], out)) console.log(`wrote ${out}/${name}/ (${files} files)`);
