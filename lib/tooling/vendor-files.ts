/**
 * The README table of the vendor's example values files (section "Coming from the OPSWAT charts"),
 * derived from converting each file: `npm run readme` writes it, test/vendor-files.test.ts holds the README
 * to it, so the table follows every change of the converter's rules.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readVendorValues } from '../cli';
import { Conversion, convertVendorValues, KeyReport, VendorChart } from '../convert/vendor-values';

/** The namespace the table's conversions are for (as `--namespace md`). */
const NAMESPACE = 'md';

export const TABLE_START = '<!-- vendor-files table: written by npm run readme -->';
export const TABLE_END = '<!-- end of vendor-files table -->';

export interface VendorFile {
  readonly file: string;
  readonly chart: VendorChart;
}

/** The values files in `dir`, each with the vendor chart it is for (icap files are named mdicapsrv-* or *-icap-*). */
export function vendorFiles(dir: string): VendorFile[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => ({ file: path.join(dir, f), chart: /^mdicapsrv-|-icap-/.test(f) ? 'vendor-icap' : 'vendor-mdcore' }));
}

export function convertVendorFile(f: VendorFile): Conversion {
  return convertVendorValues(f.chart, readVendorValues(f.file), { namespace: NAMESPACE });
}

/** The gist of a report note: its first clause. */
const gist = (r: KeyReport) => r.note.split(/[:;] |, and | \(/)[0]!;

/** Report entries grouped by gist, in the order of the report: "gist: `a`, `b`". */
function grouped(entries: KeyReport[]): string {
  const groups = new Map<string, string[]>();
  for (const r of entries) groups.set(gist(r), [...(groups.get(gist(r)) ?? []), `\`${r.path}\``]);
  return [...groups].map(([g, keys]) => `${g}: ${keys.join(', ')}`).join('; ');
}
const NO_EFFECT = /^no template of the vendor chart reads/;
const cell = (s: string) => s.replace(/\|/g, '\\|');

/** One row: the file, its counts, the keys that had no effect in the vendor chart, and what is left to do. */
function row(f: VendorFile): string {
  const c = convertVendorFile(f);
  const count = (s: KeyReport['status']) => c.report.filter((r) => r.status === s).length;
  const noEffect = c.report.filter((r) => r.status === 'not needed' && NO_EFFECT.test(r.note)).map((r) => `\`${r.path}\``);
  const actions = c.report.filter((r) => r.status === 'action');
  const name = path.basename(f.file);
  return [
    // Named, not linked: the package ships README.md but not test/fixtures/.
    `\`${name}\``,
    f.chart === 'vendor-icap' ? 'md-icapsrv' : 'md-core',
    `${c.report.length}: ${count('mapped')} mapped, ${count('not needed')} not needed, ${count('action')} action`,
    noEffect.length > 0 ? noEffect.join(', ') : '—',
    actions.length > 0 ? grouped(actions) : 'nothing',
  ]
    .map(cell)
    .join(' | ');
}

/** The table of every file in `dir`. */
export function vendorFilesTable(dir: string): string {
  return [
    '| Values file | Into | Keys set: mapped, not needed, action | No effect in their chart either | Still by hand (the report\'s actions) |',
    '| --- | --- | --- | --- | --- |',
    ...vendorFiles(dir).map((f) => `| ${row(f)} |`),
  ].join('\n');
}

/** `readme` with the text between the table's markers replaced by the table of `dir`. */
export function withVendorFilesTable(readme: string, dir: string): string {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`README.md lacks the markers ${TABLE_START} ... ${TABLE_END}`);
  return `${readme.slice(0, start + TABLE_START.length)}\n${vendorFilesTable(dir)}\n${readme.slice(end)}`;
}
