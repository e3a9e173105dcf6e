/**
 * `npx cdk8s synth`: the platform's raw manifests, with its own values, and per environment the values file
 * in VALUES laid over them (`VALUES=prod.yaml npx cdk8s synth`), read as `helm -f` reads it.
 */
import { App } from 'cdk8s';
import { RawChart, readValuesFile } from 'chart-as-code';
import { platformChart } from './chart';

const file = process.env.VALUES;
const app = new App();
new RawChart(app, 'scanning-platform', {
  chart: platformChart,
  namespace: 'scanning',
  values: { web: { image: { tag: '1.27.3' } } },
  overrides: file ? readValuesFile(file) : undefined,
});
app.synth();
