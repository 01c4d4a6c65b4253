/** The real docker CLI against a test daemon. */
import { dockerCli } from './paths.js';
import { exec, type ExecResult } from './exec.js';
import type { TestDaemon } from './daemon.js';

export function docker(
  d: Pick<TestDaemon, 'env'>,
  args: readonly string[],
  o: { input?: string | Buffer; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<ExecResult> {
  return exec(dockerCli, args, {
    env: { ...d.env, ...o.env },
    ...(o.input !== undefined ? { input: o.input } : {}),
    timeoutMs: o.timeoutMs ?? 180_000,
  });
}

/** Runs docker and returns stdout; throws with stderr when it fails. */
export async function dockerOk(
  d: Pick<TestDaemon, 'env'>,
  args: readonly string[],
  o: { input?: string | Buffer; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  const r = await docker(d, args, o);
  if (r.code !== 0)
    throw new Error(
      `docker ${args.join(' ')} exited ${r.code ?? r.signal}:\n${r.stderr}${r.stdout}`,
    );
  return r.stdout;
}
