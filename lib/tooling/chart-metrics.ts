/**
 * How readable a chart's templates are, in numbers a reviewer can compare across versions and with other
 * charts: template lines, the longest line, lines over 160 characters, and the share of lines that stand
 * in a run of six or more identical lines repeated elsewhere in the same chart (lines trimmed; blank,
 * comment-only and bracket-only lines skipped).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface ChartMetrics {
  readonly templateLines: number;
  readonly longestLine: number;
  readonly linesOver160: number;
  /** Lines in a repeated run of six or more, over all counted lines (0..1). */
  readonly repeatedShare: number;
}

const RUN = 6;

// Blank, comment-only (a YAML or template comment) and bracket-only lines (a closing bracket, an end action) do not count.
function counts(line: string): boolean {
  if (line === '') return false;
  if (line.startsWith('#') || /^\{\{-?\s*\/\*.*\*\/\s*-?\}\}$/.test(line)) return false;
  if (/^[[\]{}(),]+$/.test(line) || /^\{\{-?\s*end\s*-?\}\}$/.test(line)) return false;
  return true;
}

/** The metrics of the files of one chart's templates/ (by file name → text). */
export function chartMetrics(templates: ReadonlyMap<string, string>): ChartMetrics {
  const files = [...templates.entries()].filter(([name]) => !name.endsWith('NOTES.txt')).sort(([a], [b]) => a.localeCompare(b));
  let longestLine = 0;
  let linesOver160 = 0;
  const sequences: string[][] = [];
  for (const [, text] of files) {
    const raw = text.split('\n');
    for (const l of raw) {
      longestLine = Math.max(longestLine, l.length);
      if (l.length > 160) linesOver160++;
    }
    sequences.push(raw.map((l) => l.trim()).filter(counts));
  }
  const runs = new Map<string, number>();
  for (const seq of sequences) for (let i = 0; i + RUN <= seq.length; i++) {
    const key = seq.slice(i, i + RUN).join('\n');
    runs.set(key, (runs.get(key) ?? 0) + 1);
  }
  let total = 0;
  let repeated = 0;
  for (const seq of sequences) {
    const marked = new Array<boolean>(seq.length).fill(false);
    for (let i = 0; i + RUN <= seq.length; i++) {
      if ((runs.get(seq.slice(i, i + RUN).join('\n')) ?? 0) > 1) for (let j = i; j < i + RUN; j++) marked[j] = true;
    }
    total += seq.length;
    repeated += marked.filter(Boolean).length;
  }
  return { templateLines: total, longestLine, linesOver160, repeatedShare: total === 0 ? 0 : repeated / total };
}

/** The metrics of a chart directory (every file under templates/, folders included). */
export function chartDirMetrics(dir: string): ChartMetrics {
  const templatesDir = path.join(dir, 'templates');
  const files = fs.readdirSync(templatesDir, { recursive: true, encoding: 'utf8' }).filter((f) => fs.statSync(path.join(templatesDir, f)).isFile());
  return chartMetrics(new Map(files.sort().map((f) => [f, fs.readFileSync(path.join(templatesDir, f), 'utf8')] as const)));
}
