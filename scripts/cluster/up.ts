/**
 * `tsx scripts/cluster/up.ts [name]`: starts a local control plane (building its binaries the first
 * time) that stays up until `tsx scripts/cluster/down.ts [name]`, and prints its KUBECONFIG. With
 * KUBECONFIG pointing at a reachable cluster, `npm run test:cluster` then runs against it:
 *
 *   export KUBECONFIG=$(tsx scripts/cluster/up.ts | tail -1)
 */
import { up } from './cluster';

const name = process.argv[2] ?? 'dev';
// Never reuse the caller's KUBECONFIG here: this command exists to start one.
delete process.env.KUBECONFIG;
up({ name, owner: 0, log: (l) => process.stderr.write(`${l}\n`) })
  .then((info) => process.stdout.write(`${info.kubeconfig}\n`))
  .catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
