/**
 * `tsx scripts/cluster/down.ts [name|--all]`: stops a control plane started by up.ts (default "dev"),
 * or every one of ours with --all, and kills anything of it still running.
 */
import * as fs from 'node:fs';
import { down, runningComponents, stateRoot } from './cluster';

async function main(): Promise<void> {
  const arg = process.argv[2] ?? 'dev';
  const names = arg === '--all' ? (fs.existsSync(stateRoot()) ? fs.readdirSync(stateRoot()) : []) : [arg];
  for (const name of names) await down(name);
  const left = arg === '--all' ? runningComponents(true) : runningComponents(true).filter((p) => p.cluster === arg);
  if (left.length > 0) throw new Error(`still running: ${left.map((p) => `${p.cluster}/${p.component} (pid ${p.pid})`).join(', ')}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
