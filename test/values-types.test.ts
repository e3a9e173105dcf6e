/**
 * Value types carry each field's description and default as TSDoc: lib/systems/<system>/values.generated.ts
 * are what `npm run types` writes from the zod schemas (each proves at compile time that it equals the
 * schema's output type), and an IDE hover on `values.replicaCount` shows the description and the default.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { systemValuesSchemas } from '../lib/tooling/values-schemas';
import { VALUES_TYPES, valuesTypesFile } from '../lib/tooling/values-types';

const root = path.join(__dirname, '..');

describe('generated values types', () => {
  it.each(VALUES_TYPES.map((e) => [e.system, e] as const))('%s/values.generated.ts is up to date (run `npm run types`)', (system, entry) => {
    const file = path.join(root, 'lib', 'systems', system, 'values.generated.ts');
    expect(fs.readFileSync(file, 'utf8')).toBe(valuesTypesFile(entry, systemValuesSchemas[entry.schema]));
  });

  it('a field says its description and its default', () => {
    const text = fs.readFileSync(path.join(root, 'lib', 'systems', 'md-icapsrv', 'values.generated.ts'), 'utf8');
    expect(text).toMatch(/\/\*\*\n {3}\* Pods to run when autoscaling is off\.[^\n]*\n {3}\* @default 1\n {3}\*\/\n {2}replicaCount: number;/);
  });
});

describe('hovering a value in chart code', () => {
  it('shows the field\'s description and default (TypeScript language service quick info)', () => {
    const dir = fs.mkdtempSync(path.join(root, 'examples', '.hover-'));
    try {
      const file = path.join(dir, 'chart.ts');
      // A platform team's chart with ICAP under its own key, as in README "Write your own chart".
      const code = `import { defineChart, MdIcapsrv, mdIcapsrvValues } from 'chart-as-code';
import { z } from 'zod';
export const chart = defineChart({
  name: 'hover',
  schema: z.object({ icap: mdIcapsrvValues.prefault({ acceptEula: true }) }).strict(),
  metadata: { version: '1.0.0', appVersion: '1', description: 'x' },
  build: (scope, values) => {
    void values.icap.replicaCount;
    new MdIcapsrv(scope, 'icap', values.icap);
  },
});
`;
      fs.writeFileSync(file, code);
      const options: ts.CompilerOptions = {
        strict: true,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.CommonJS,
        moduleResolution: ts.ModuleResolutionKind.Node10,
        esModuleInterop: true,
        skipLibCheck: true,
        types: [],
        baseUrl: root,
        paths: { 'chart-as-code': ['./lib/index.ts'] },
      };
      const host: ts.LanguageServiceHost = {
        getScriptFileNames: () => [file],
        getScriptVersion: () => '1',
        getScriptSnapshot: (f) => (fs.existsSync(f) ? ts.ScriptSnapshot.fromString(fs.readFileSync(f, 'utf8')) : undefined),
        getCurrentDirectory: () => root,
        getCompilationSettings: () => options,
        getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
        fileExists: ts.sys.fileExists,
        readFile: ts.sys.readFile,
        readDirectory: ts.sys.readDirectory,
        directoryExists: ts.sys.directoryExists,
        getDirectories: ts.sys.getDirectories,
      };
      const service = ts.createLanguageService(host, ts.createDocumentRegistry());
      const info = service.getQuickInfoAtPosition(file, code.indexOf('replicaCount') + 2);
      expect(info).toBeDefined();
      const display = ts.displayPartsToString(info!.displayParts);
      const docs = ts.displayPartsToString(info!.documentation);
      const tags = (info!.tags ?? []).map((t) => `@${t.name} ${ts.displayPartsToString(t.text)}`);
      expect(display).toContain('replicaCount: Value<number>');
      expect(docs).toContain('Pods to run when autoscaling is off.');
      expect(tags).toContain('@default 1');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
