/** The report of a conversion (Markdown) and its Secrets, as a manifest or as the commands that create them. */
import YAML from 'yaml';
import { Conversion, isNamespace, KeyStatus, shellWords, shown } from './engine';
import { inPlaceSteps, stepText } from './migration';

/** The Secrets as one YAML stream of v1 Secrets (stringData), for `kubectl apply -f`: holds the credentials in clear. */
export function secretsManifest(c: Conversion): string {
  // Without --namespace (the placeholder), kubectl's current namespace, as for the report's commands.
  const namespace = isNamespace(c.namespace) ? { namespace: c.namespace } : {};
  return c.secrets
    // YAML 1.1 as kubectl reads it: "yes", "on" or "0x1F" stay strings (quoted).
    .map((sec) => YAML.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: sec.name, ...namespace }, type: 'Opaque', stringData: Object.fromEntries(sec.entries.map((e) => [e.key, e.value])) }, { version: '1.1' }))
    .join('---\n');
}

/** The command creating each Secret, each credential read from a file (`<file holding ...>`), never given on the command line. */
export function secretCommands(c: Conversion): string[] {
  return c.secrets.map((sec) =>
    shellWords(['kubectl', '-n', c.namespace, 'create', 'secret', 'generic', sec.name, ...sec.entries.map((e) => (e.secret ? `--from-file=${e.key}=<file holding ${e.from}>` : `--from-literal=${e.key}=${e.value}`))]),
  );
}

const STATUS_ORDER: Record<KeyStatus, number> = { action: 0, mapped: 1, 'not needed': 2 };

/** Which Secret keys hold which vendor key, and the command that creates them (values masked, never shown). */
function secretsSection(c: Conversion): string[] {
  const commands = c.secretsFile ? [shellWords(['kubectl', '-n', c.namespace, 'apply', '-f', c.secretsFile])] : secretCommands(c);
  return [
    c.secretsFile ? '## Secrets written' : '## Secrets to create',
    '',
    c.secretsFile
      ? `${c.secretsFile} (mode 0600) holds these Secrets in clear: apply it before installing, then delete it.`
      : 'Before installing, create these Secrets; put each credential into a file first (no shell history, no process list):',
    '',
    ...c.secrets.flatMap((sec) => sec.entries.map((e) => `- Secret \`${sec.name}\` key \`${e.key}\` ← \`${e.from}\` ${shown(e.value, e.secret)}`)),
    '',
    '```console',
    ...commands,
    '```',
    '',
  ];
}

/** The report as Markdown: actions first, then mapped keys, then keys not needed. */
export function reportMarkdown(c: Conversion, source: string, inPlace?: { valuesFile: string }): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const count = (s: KeyStatus) => c.report.filter((r) => r.status === s).length;
  const rows = [...c.report].sort((a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status] || a.path.localeCompare(b.path));
  const actions = rows.filter((r) => r.status === 'action');
  return [
    `# ${source}: ${c.chart} values converted to ${c.target}`,
    '',
    `${c.report.length} keys set: ${count('mapped')} mapped, ${count('not needed')} not needed, ${count('action')} need action.`,
    '',
    ...(actions.length > 0
      ? [
          '## Needs action',
          '',
          ...actions.flatMap((r) => [`- \`${r.path}\` ${r.shown}: ${r.note}`, ...(r.command ? ['', '  ```console', `  ${r.command}`, '  ```', ''] : [])]),
          '',
        ]
      : []),
    ...(c.secrets.length > 0 ? secretsSection(c) : []),
    ...(inPlace
      ? [
          '## Replacing the running release in place',
          '',
          'After the actions above, in this order (one licence activation per pod at any time: the rollout has maxSurge 0):',
          '',
          ...inPlaceSteps(c.chart, { release: '<release>', namespace: c.namespace, ...inPlace }).flatMap((st, i) => [`${i + 1}. ${st.why}:`, '', '   ```console', `   ${stepText(st)}`, '   ```', '']),
        ]
      : []),
    '## Every key',
    '',
    '| Vendor key | Value | Status | Our key(s) / why |',
    '| --- | --- | --- | --- |',
    ...rows.map((r) => `| \`${r.path}\` | ${cell(r.shown)} | ${r.status} | ${cell([r.to.map((t) => `\`${t}\``).join(', '), r.note].filter(Boolean).join(': '))} |`),
    '',
  ].join('\n');
}
