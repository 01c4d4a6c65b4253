/** Collects the calls Node lacks (mknod of whiteouts/fifos/devices, lsetxattr) for one skiff-fsops run. */
import { InternalError } from '../errors.js';
import { spawnCollect } from '../proc/run.js';

export class FsopsBatch {
  private readonly parts: string[] = [];
  private count = 0;

  whiteout(path: string): void {
    this.add(['W', path]);
  }

  setxattr(path: string, name: string, value: Buffer): void {
    this.add(['X', path, name, value.toString('hex')]);
  }

  mknod(path: string, mode: number, major: number, minor: number): void {
    this.add(['N', path, mode.toString(8), String(major), String(minor)]);
  }

  get size(): number {
    return this.count;
  }

  /** Runs the batch; returns the failures (one line each) without throwing for them. */
  async run(fsops: string | undefined): Promise<string[]> {
    if (this.count === 0) return [];
    if (!fsops)
      throw new InternalError(
        'skiff-fsops is missing (native/build/skiff-fsops): run npm run build',
      );
    const r = await spawnCollect(fsops, [], { input: Buffer.from(this.parts.join('')) });
    if (r.code === 2) throw new InternalError(`skiff-fsops failed: ${r.stderr.trim()}`);
    return r.stderr.split('\n').filter((l) => l.trim() !== '');
  }

  private add(fields: string[]): void {
    for (const f of fields) {
      if (f.includes('\0')) throw new InternalError('NUL in a path');
      this.parts.push(`${f}\0`);
    }
    this.count++;
  }
}
