/**
 * json-file's max-size/max-file for conmon's log: conmon's own --log-size-max only truncates,
 * so skiff rotates — `<log>` → `<log>.1` → ... → `<log>.<max-file - 1>` — and asks conmon to
 * reopen the log file (ctl "2 0 0"). Checked once a second while the container runs.
 */
import { rename, rm, stat } from 'node:fs/promises';

export interface RotationPolicy {
  readonly maxSize: number;
  /** Files kept in all, the live one included (Docker's max-file, default 1). */
  readonly maxFiles: number;
}

export async function rotateIfNeeded(
  path: string,
  p: RotationPolicy,
  reopen: () => Promise<void>,
): Promise<boolean> {
  const st = await stat(path).catch(() => undefined);
  if (!st || st.size < p.maxSize) return false;
  const keep = Math.max(0, p.maxFiles - 1);
  await rm(`${path}.${keep + 1}`, { force: true });
  for (let i = keep; i >= 1; i--)
    await rename(`${path}.${i}`, `${path}.${i + 1}`).catch(() => undefined);
  await rename(path, `${path}.1`);
  await reopen();
  if (keep === 0) await rm(`${path}.1`, { force: true });
  else await rm(`${path}.${keep + 1}`, { force: true });
  return true;
}

export function startRotation(
  path: string,
  p: RotationPolicy,
  reopen: () => Promise<void>,
  stopped: Promise<unknown>,
): void {
  let done = false;
  void stopped.finally(() => {
    done = true;
  });
  const tick = (): void => {
    if (done) return;
    void rotateIfNeeded(path, p, reopen)
      .catch(() => undefined)
      .finally(() => {
        if (!done) setTimeout(tick, 1000).unref();
      });
  };
  setTimeout(tick, 1000).unref();
}
