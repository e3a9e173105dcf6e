/**
 * A writer of output directories in a process of its own, for test/adversarial/output.test.ts:
 * `node --require tsx/cjs output-child.ts <target> <label> [delayMs] [loop]` replaces <target> with
 * f0..f19.k8s.yaml and nested/deeper/n.k8s.yaml holding <label>, waiting delayMs before each file (to hold
 * the lock a while); with `loop`, replaces it again and again, alternately with labels A and B, until killed.
 */
import { replaceDirectory, runMain } from '../../lib/core/output';

const [target, label, delay = '0', loop] = process.argv.slice(2) as [string, string, string?, string?];
const pause = new Int32Array(new SharedArrayBuffer(4));

function* files(text: string): Generator<[string, string]> {
  for (let i = 0; i < 20; i++) {
    if (Number(delay) > 0) Atomics.wait(pause, 0, 0, Number(delay));
    yield [`f${i}.k8s.yaml`, `${text} ${i}\n`];
  }
  yield ['nested/deeper/n.k8s.yaml', `${text} nested\n`];
}

runMain(() => {
  if (loop) for (let i = 0; ; i++) replaceDirectory(target, files(i % 2 ? 'B' : 'A'));
  replaceDirectory(target, files(label));
  process.stdout.write('done\n');
});
