/** Builds the snapshot driver the host detection chose (HostProfile.storage). */
import { join } from 'node:path';
import type { HostBinaries, StorageDriverName } from '../host.js';
import type { Logger } from '../log.js';
import { OverlayDriver } from './overlay/overlay-driver.js';
import type { SnapshotDriver } from './snapshotter.js';
import { VfsDriver } from './vfs/vfs-driver.js';

export async function createSnapshotDriver(o: {
  driver: StorageDriverName;
  dataRoot: string;
  overlayUserXattr: boolean;
  binaries: HostBinaries;
  log: Logger;
}): Promise<SnapshotDriver> {
  const root = join(o.dataRoot, 'snapshots', o.driver);
  switch (o.driver) {
    case 'overlay2':
    case 'fuse-overlayfs':
      return OverlayDriver.create({
        root,
        flavour: o.driver,
        userxattr: o.overlayUserXattr,
        fsops: o.binaries.skiffFsops,
        untar: o.binaries.skiffUntar,
        log: o.log,
      });
    case 'vfs':
      return VfsDriver.create(root, o.binaries.skiffFsops, o.binaries.skiffUntar, o.log);
  }
}
