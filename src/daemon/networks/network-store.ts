/**
 * Networks on disk: `<root>/<id>.json`, one atomic file each (STYLE R9), so a kill -9 at any
 * moment leaves a network either fully there or not there. Temp files of interrupted writes
 * are removed at load.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isNotFound } from '../../errors.js';
import type { Logger } from '../../log.js';
import { fsyncDir, readJsonFile, writeJsonAtomic } from '../../store/atomic-file.js';
import { parseNetworkRecord, type NetworkRecord } from './network-record.js';

export class NetworkStore {
  constructor(
    private readonly root: string,
    private readonly log: Logger,
  ) {}

  async loadAll(): Promise<NetworkRecord[]> {
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    const out: NetworkRecord[] = [];
    for (const name of await readdir(this.root)) {
      const path = join(this.root, name);
      if (name.endsWith('.tmp')) {
        await rm(path, { force: true });
        continue;
      }
      if (!name.endsWith('.json')) continue;
      let raw: unknown;
      try {
        raw = await readJsonFile(path);
      } catch (e) {
        this.log.warn({ file: path, err: String(e) }, 'unreadable network file; ignored');
        continue;
      }
      const rec = parseNetworkRecord(raw);
      if (rec && `${rec.id}.json` === name) out.push(rec);
      else this.log.warn({ file: path }, 'network file without a valid record; ignored');
    }
    return out;
  }

  async put(rec: NetworkRecord): Promise<void> {
    await writeJsonAtomic(join(this.root, `${rec.id}.json`), rec);
  }

  async delete(id: string): Promise<void> {
    try {
      await rm(join(this.root, `${id}.json`));
    } catch (e) {
      if (!isNotFound(e)) throw e;
      return;
    }
    await fsyncDir(this.root);
  }
}
