import { z } from 'zod';
import { defineChart, KubeObject, Render, text } from '../lib/index';

export const tiny = defineChart({
  name: 'tiny',
  schema: z.object({ greeting: z.string().default('hello').describe('What the ConfigMap says.') }).strict(),
  metadata: { version: '1.0.0', appVersion: '1.0', description: 'A tiny chart.' },
  build: (scope, values) => {
    const namespace = text(Render.of(scope).release.namespace);
    new KubeObject(scope, 'cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'tiny', namespace }, data: { greeting: text(values.greeting) } });
    const labels = { app: 'tiny' };
    new KubeObject(scope, 'web', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'tiny', namespace },
      spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } } },
    });
  },
});
