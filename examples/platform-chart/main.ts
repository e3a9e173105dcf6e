/** `npx cdk8s synth`: the platform's raw manifests, with its own values (they could come from a file per environment). */
import { App } from 'cdk8s';
import { RawChart } from 'chart-as-code';
import { platformChart } from './chart';

const app = new App();
new RawChart(app, 'scanning-platform', { chart: platformChart, namespace: 'scanning', values: { web: { image: { tag: '1.27.3' } } } });
app.synth();
