/**
 * A child process that answers each JSON line it reads with one JSON line, in order (tools/helm-render,
 * `yaml2json --lines`). Requests are written at once and answered as the child gets to them, so the
 * caller can keep working (raw synthesis) while the child renders.
 */
import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';

export class LineServer<Req, Res> {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: { resolve: (r: Res) => void; reject: (e: Error) => void }[] = [];
  private pendingText = '';
  private stderr = '';
  private failure: Error | undefined;
  private readonly exited: Promise<void>;

  constructor(
    readonly name: string,
    command: string,
    args: string[],
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.setEncoding('utf8');
    this.child.stderr.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => this.receive(chunk));
    this.child.stderr.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-20_000);
    });
    // A write to a child that died fails with EPIPE; the exit handler below reports why it died.
    this.child.stdin.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      this.child.on('error', (err) => this.fail(new Error(`${name}: ${err.message}`)));
      this.child.on('close', (code, signal) => {
        this.fail(new Error(`${name} exited (${signal ?? `code ${code}`}) with ${this.waiting.length} request(s) unanswered\n${this.stderr}`));
        resolve();
      });
    });
  }

  request(req: Req): Promise<Res> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<Res>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.child.stdin.write(`${JSON.stringify(req)}\n`);
    });
  }

  /** Ends the child (it exits when its input closes) and waits for it. */
  async close(): Promise<void> {
    this.child.stdin.end();
    await this.exited;
  }

  private receive(chunk: string): void {
    this.pendingText += chunk;
    let nl: number;
    while ((nl = this.pendingText.indexOf('\n')) >= 0) {
      const line = this.pendingText.slice(0, nl);
      this.pendingText = this.pendingText.slice(nl + 1);
      const next = this.waiting.shift();
      if (!next) {
        this.fail(new Error(`${this.name} answered a request that was never made: ${line.slice(0, 200)}`));
        return;
      }
      next.resolve(JSON.parse(line) as Res);
    }
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const w of this.waiting.splice(0)) w.reject(this.failure);
  }
}
