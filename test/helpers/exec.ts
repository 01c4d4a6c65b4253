/** Runs a command for a test and collects its output (tests may spawn; src/ may not, outside proc/). */
import { spawn } from 'node:child_process';

export interface ExecResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ExecOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly input?: string | Buffer;
  readonly cwd?: string;
  readonly timeoutMs?: number;
}

export function exec(
  bin: string,
  args: readonly string[],
  opts: ExecOptions = {},
): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      timeout: opts.timeoutMs ?? 120_000,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Like exec, but throws with the command's stderr unless it exits 0. */
export async function execOk(
  bin: string,
  args: readonly string[],
  opts: ExecOptions = {},
): Promise<string> {
  const r = await exec(bin, args, opts);
  if (r.code !== 0)
    throw new Error(
      `${bin} ${args.join(' ')} exited ${r.code ?? r.signal}: ${r.stderr || r.stdout}`,
    );
  return r.stdout;
}
