/**
 * Container records: in memory for lookups, on disk for restarts. Every change is one atomic
 * file write (`config.v2.json`), so a kill -9 leaves the previous or the next state. Lookup
 * accepts a full id, a name (with or without "/") or a unique id prefix, as dockerd.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError, InvalidArgumentError, NotFoundError, messageOf } from '../../errors.js';
import type { Logger } from '../../log.js';
import { readJsonFile, writeJsonAtomic } from '../../store/atomic-file.js';
import type { ContainerRecord } from './container-record.js';

const RECORD_FILE = 'config.v2.json';

export class ContainerStore {
  private readonly byId = new Map<string, ContainerRecord>();
  private readonly byName = new Map<string, string>();

  constructor(
    readonly root: string,
    private readonly log: Logger,
  ) {}

  dir(id: string): string {
    return join(this.root, id);
  }

  /** Reads every record; directories without a readable record are leftovers of a crash. */
  async load(): Promise<{ loaded: ContainerRecord[]; orphans: string[] }> {
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    const orphans: string[] = [];
    for (const id of await readdir(this.root)) {
      try {
        const rec = (await readJsonFile(join(this.root, id, RECORD_FILE))) as
          ContainerRecord | undefined;
        if (!rec || rec.id !== id) {
          orphans.push(id);
          continue;
        }
        this.index(rec);
      } catch (e) {
        this.log.warn({ id, err: messageOf(e) }, 'unreadable container record');
        orphans.push(id);
      }
    }
    return { loaded: [...this.byId.values()], orphans };
  }

  all(): ContainerRecord[] {
    return [...this.byId.values()];
  }

  get(id: string): ContainerRecord | undefined {
    return this.byId.get(id);
  }

  nameTaken(name: string): string | undefined {
    return this.byName.get(name);
  }

  /** Full id, name, or unique id prefix → record; NotFoundError with Docker's message otherwise. */
  find(ref: string): ContainerRecord {
    const exact = this.byId.get(ref);
    if (exact) return exact;
    const byName = this.byName.get(ref.replace(/^\//, ''));
    if (byName) {
      const r = this.byId.get(byName);
      if (r) return r;
    }
    if (/^[0-9a-f]+$/.test(ref)) {
      const hits = [...this.byId.keys()].filter((id) => id.startsWith(ref));
      if (hits.length > 1)
        throw new InvalidArgumentError(`multiple IDs found with provided prefix: ${ref}`);
      const hit = hits[0] !== undefined ? this.byId.get(hits[0]) : undefined;
      if (hit) return hit;
    }
    throw new NotFoundError(`No such container: ${ref}`);
  }

  /** As find, for callers to whom a container that is gone (or ambiguous) is simply none. */
  lookup(ref: string): ContainerRecord | undefined {
    try {
      return this.find(ref);
    } catch {
      return undefined;
    }
  }

  /** Reserves a name for a new container (create is not atomic: two creates must not share one). */
  reserveName(name: string, id: string): void {
    const owner = this.byName.get(name);
    if (owner !== undefined && owner !== id)
      throw new ConflictError(
        `Conflict. The container name "/${name}" is already in use by container "${owner}". You have to remove (or rename) that container to be able to reuse that name.`,
      );
    this.byName.set(name, id);
  }

  releaseName(name: string, id: string): void {
    if (this.byName.get(name) === id) this.byName.delete(name);
  }

  async save(rec: ContainerRecord): Promise<ContainerRecord> {
    await mkdir(this.dir(rec.id), { recursive: true, mode: 0o700 });
    await writeJsonAtomic(join(this.dir(rec.id), RECORD_FILE), rec);
    const previous = this.byId.get(rec.id);
    if (previous && previous.name !== rec.name) this.releaseName(previous.name, rec.id);
    this.index(rec);
    return rec;
  }

  async delete(id: string): Promise<void> {
    const rec = this.byId.get(id);
    // Remove the record first: a crash after this leaves an orphan dir, cleaned at start.
    await rm(join(this.dir(id), RECORD_FILE), { force: true });
    await rm(this.dir(id), { recursive: true, force: true });
    this.byId.delete(id);
    if (rec) this.releaseName(rec.name, id);
  }

  async removeOrphan(id: string): Promise<void> {
    await rm(this.dir(id), { recursive: true, force: true });
  }

  private index(rec: ContainerRecord): void {
    this.byId.set(rec.id, rec);
    this.byName.set(rec.name, rec.id);
  }
}
