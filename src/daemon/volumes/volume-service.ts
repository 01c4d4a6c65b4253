/**
 * The local volume driver: directories under the data root, labels, in-use checks (a volume a
 * container uses cannot be removed: 409, as Docker), anonymous volumes, prune.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm, stat, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError, InvalidArgumentError, NotFoundError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { KeyLock } from '../../store/key-lock.js';
import { readJsonFile, writeJsonAtomic } from '../../store/atomic-file.js';
import type { EventBus } from '../events/event-bus.js';
import { ANONYMOUS_LABEL, type VolumeRecord } from './volume-record.js';
import { directoryUsage } from './directory-usage.js';

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export interface VolumeView extends VolumeRecord {
  readonly mountpoint: string;
}

export interface VolumeFilters {
  readonly dangling?: boolean;
  readonly driver?: readonly string[];
  readonly label?: readonly string[];
  readonly name?: readonly string[];
}

export class VolumeService {
  private readonly records = new Map<string, VolumeRecord>();
  private readonly locks = new KeyLock();
  /** Who uses a volume: injected by the composition root (the containers service). */
  usedBy: (name: string) => string[] = () => [];

  constructor(
    private readonly root: string,
    private readonly events: EventBus,
    private readonly log: Logger,
  ) {}

  async load(): Promise<void> {
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    for (const name of await readdir(this.root)) {
      if (name.startsWith('.')) {
        await rm(join(this.root, name), { recursive: true, force: true });
        continue;
      }
      const rec = (await readJsonFile(join(this.root, name, 'volume.json'))) as
        VolumeRecord | undefined;
      if (rec?.name === name) this.records.set(name, rec);
      else this.log.warn({ name }, 'volume directory without metadata; ignored');
    }
  }

  view(rec: VolumeRecord): VolumeView {
    return { ...rec, mountpoint: this.dataPath(rec.name) };
  }

  dataPath(name: string): string {
    return join(this.root, name, '_data');
  }

  async create(o: {
    name?: string;
    driver?: string;
    labels?: Readonly<Record<string, string>>;
    options?: Readonly<Record<string, string>>;
  }): Promise<{ volume: VolumeView; created: boolean }> {
    const driver = o.driver || 'local';
    if (driver !== 'local')
      throw new NotFoundError(
        `error looking up volume plugin ${driver}: plugin "${driver}" not found`,
      );
    for (const k of Object.keys(o.options ?? {}))
      throw new InvalidArgumentError(
        `invalid option: "${k}" (the local driver of skiff takes no options)`,
      );
    const anonymous = o.name === undefined || o.name === '';
    const name = anonymous ? randomBytes(32).toString('hex') : (o.name ?? '');
    if (!NAME.test(name))
      throw new InvalidArgumentError(
        `create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
      );
    return this.locks.with(`volume:${name}`, async () => {
      const existing = this.records.get(name);
      if (existing) return { volume: this.view(existing), created: false };
      const rec: VolumeRecord = {
        name,
        driver: 'local',
        createdAt: new Date().toISOString(),
        labels: anonymous ? { ...o.labels, [ANONYMOUS_LABEL]: '' } : { ...o.labels },
        options: { ...o.options },
        anonymous,
      };
      // Build in a hidden dir, then rename: a crash leaves no half volume behind.
      const tmp = join(this.root, `.new-${name}-${randomBytes(4).toString('hex')}`);
      await mkdir(join(tmp, '_data'), { recursive: true, mode: 0o755 });
      await writeJsonAtomic(join(tmp, 'volume.json'), rec);
      await rename(tmp, join(this.root, name));
      this.records.set(name, rec);
      this.events.publish('volume', 'create', name, { driver: 'local' });
      return { volume: this.view(rec), created: true };
    });
  }

  inspect(name: string): VolumeView {
    const rec = this.records.get(name);
    if (!rec) throw new NotFoundError(`get ${name}: no such volume`);
    return this.view(rec);
  }

  list(f: VolumeFilters = {}): VolumeView[] {
    return [...this.records.values()].filter((r) => this.matches(r, f)).map((r) => this.view(r));
  }

  async remove(name: string, force = false): Promise<void> {
    await this.locks.with(`volume:${name}`, async () => {
      if (!this.records.has(name)) {
        if (force) return;
        throw new NotFoundError(`get ${name}: no such volume`);
      }
      const users = this.usedBy(name);
      if (users.length > 0)
        throw new ConflictError(`remove ${name}: volume is in use - [${users.join(', ')}]`);
      await this.destroy(name);
    });
  }

  /** Removes the volume unless someone uses it; a missing volume is fine. */
  async removeIfUnused(name: string): Promise<void> {
    await this.locks.with(`volume:${name}`, async () => {
      if (!this.records.has(name) || this.usedBy(name).length > 0) return;
      await this.destroy(name);
    });
  }

  /** `docker volume prune`: unused anonymous volumes, or all unused ones with `all`. */
  async prune(o: {
    all: boolean;
    label?: readonly string[];
  }): Promise<{ deleted: string[]; reclaimed: number }> {
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const rec of [...this.records.values()]) {
      if (!o.all && !rec.anonymous) continue;
      if (o.label && !matchLabels(rec.labels, o.label)) continue;
      if (this.usedBy(rec.name).length > 0) continue;
      reclaimed += (await this.usage(rec.name)).bytes;
      await this.removeIfUnused(rec.name);
      if (!this.records.has(rec.name)) deleted.push(rec.name);
    }
    return { deleted, reclaimed };
  }

  async usage(name: string): Promise<{ bytes: number; refCount: number }> {
    return { bytes: await directoryUsage(this.dataPath(name)), refCount: this.usedBy(name).length };
  }

  async exists(name: string): Promise<boolean> {
    return (
      this.records.has(name) &&
      (await stat(this.dataPath(name)).then(
        () => true,
        () => false,
      ))
    );
  }

  private async destroy(name: string): Promise<void> {
    // Rename away first (atomic), then delete: a crash mid-delete leaves a hidden dir, cleaned at load.
    const trash = join(this.root, `.rm-${name}-${randomBytes(4).toString('hex')}`);
    await rename(join(this.root, name), trash);
    this.records.delete(name);
    await rm(trash, { recursive: true, force: true });
    this.events.publish('volume', 'destroy', name, { driver: 'local' });
  }

  private matches(r: VolumeRecord, f: VolumeFilters): boolean {
    if (f.dangling !== undefined && (this.usedBy(r.name).length === 0) !== f.dangling) return false;
    if (f.driver && !f.driver.includes(r.driver)) return false;
    if (f.name && !f.name.some((n) => r.name.includes(n))) return false;
    if (f.label && !matchLabels(r.labels, f.label)) return false;
    return true;
  }
}

/** `label=key` or `label=key=value` filters: all must match. */
export function matchLabels(
  labels: Readonly<Record<string, string>>,
  filters: readonly string[],
): boolean {
  return filters.every((f) => {
    const i = f.indexOf('=');
    if (i < 0) return f in labels;
    return labels[f.slice(0, i)] === f.slice(i + 1);
  });
}
