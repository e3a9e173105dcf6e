/**
 * Namespaces of the pod suite, persisted as bind mounts of namespace files (no /run/netns entry, nothing
 * in the host's network): `unshare --net=<file>` / `--mount=<file>` create them, `nsenter` runs commands
 * in them, unmounting the file lets the namespace go once no process is left in it.
 *
 * The network namespace holds every address of the suite: the control plane, the node, the pod bridge and
 * the pods' veths. It has no link to the outside, so no traffic can leave it.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

/** The node's address inside the network namespace (on its loopback device; the namespace has no other link). */
export const NODE_IP = '10.250.0.1';

export function run(cmd: string, args: string[], input?: string): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}): ${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}

/** Identity of a namespace file: the nsfs inode that /proc/<pid>/ns/<type> links of its members show. */
export function namespaceInode(file: string): number {
  return fs.statSync(file).ino;
}

/** Creates a network namespace persisted at `file`: loopback up with NODE_IP, forwarding and bridge netfilter on. */
export function createNetworkNamespace(file: string): void {
  fs.writeFileSync(file, '');
  run('unshare', [`--net=${file}`, 'true']);
  const inside = (args: string[]): string => run('nsenter', [`--net=${file}`, '--', ...args]);
  inside(['ip', 'link', 'set', 'lo', 'up']);
  inside(['ip', 'addr', 'add', `${NODE_IP}/32`, 'dev', 'lo']);
  // Per network namespace: pods route through the node, and traffic between two pods of the bridge
  // passes iptables so a Service's DNAT is undone on the way back.
  inside(['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1', 'net.bridge.bridge-nf-call-iptables=1']);
}

/** Creates a mount namespace persisted at `file` (a private copy of this process's mounts). */
export function createMountNamespace(file: string): void {
  fs.writeFileSync(file, '');
  run('unshare', [`--mount=${file}`, '--propagation', 'private', 'true']);
}

/** Unmounts a namespace file (the namespace lives on while a process is in it) and removes it. */
export function releaseNamespace(file: string): void {
  if (!fs.existsSync(file)) return;
  spawnSync('umount', [file]);
  fs.rmSync(file, { force: true });
}

/** Pids of the processes whose namespace of `type` is `inode`. */
export function membersOf(type: 'net' | 'mnt', inode: number): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readlinkSync(`/proc/${entry}/ns/${type}`) === `${type}:[${inode}]`) out.push(Number(entry));
    } catch {
      // exited meanwhile, or a kernel thread
    }
  }
  return out;
}

/** `cmd args` run inside the namespaces given (nsenter execs, so the pid is the command's own). */
export function nsenterArgs(ns: { net?: string; mnt?: string }, cmd: string, args: string[]): [string, string[]] {
  return ['nsenter', [...(ns.net ? [`--net=${ns.net}`] : []), ...(ns.mnt ? [`--mount=${ns.mnt}`] : []), '--', cmd, ...args]];
}
