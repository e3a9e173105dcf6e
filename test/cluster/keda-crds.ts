/**
 * KEDA's CustomResourceDefinitions for the cluster suite, from the Go module that carries them
 * (github.com/kedacore/keda/v2, config/crd/bases): `go mod download` puts the module into the Go module
 * cache once per machine, like the modules the cluster binaries are built from; later runs read it there.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { goBinary } from '../../lib/tooling/go-build';

export const KEDA_MODULE = 'github.com/kedacore/keda/v2';
export const KEDA_VERSION = 'v2.21.0';

/** The CRD manifests of the KEDA resources the charts render (ScaledObject, TriggerAuthentication). */
export function kedaCrdFiles(): string[] {
  // Outside any module, so the repository's go.mod files are neither read nor changed.
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'keda-crds-'));
  try {
    const r = spawnSync(goBinary(), ['mod', 'download', '-json', `${KEDA_MODULE}@${KEDA_VERSION}`], { cwd, encoding: 'utf8', env: { ...process.env, GOFLAGS: '-mod=mod' } });
    if (r.status !== 0) throw new Error(`go mod download ${KEDA_MODULE}@${KEDA_VERSION} failed: ${r.stderr}${r.stdout}`);
    const dir = (JSON.parse(r.stdout) as { Dir?: string }).Dir;
    if (!dir) throw new Error(`go mod download ${KEDA_MODULE}@${KEDA_VERSION} gave no directory: ${r.stdout}`);
    return ['keda.sh_scaledobjects.yaml', 'keda.sh_triggerauthentications.yaml'].map((f) => path.join(dir, 'config', 'crd', 'bases', f));
  } finally {
    fs.rmSync(cwd, { recursive: true, force: true });
  }
}
