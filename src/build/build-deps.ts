/**
 * What the builder needs from the rest of the daemon, as narrow ports the composition root
 * fills in (skiffd/build-adapters.ts): step containers for RUN, and snapshot mounts for COPY.
 */
import type { Readable } from 'node:stream';
import type { Mount } from '../snapshot/snapshotter.js';
import type { StepResources } from './build-options.js';

/** A RUN step's container, in dockerd's terms. */
export interface StepContainerRequest {
  readonly image: string;
  readonly cmd: readonly string[];
  readonly env: readonly string[];
  readonly user: string;
  readonly workingDir: string;
  readonly networkMode: string;
  readonly extraHosts: readonly string[];
  readonly shmSize: number;
  readonly resources: StepResources;
}

export interface StepContainers {
  /** Creates the container, not started; with the warnings create gave (limits without cgroups). */
  create(r: StepContainerRequest): Promise<{ id: string; warnings: readonly string[] }>;
  /**
   * Starts it and passes its output on as it comes (stdout and stderr); resolves with the exit
   * code. An abort kills the process.
   */
  run(id: string, output: (chunk: Buffer) => void, signal: AbortSignal): Promise<number>;
  /** Its writable layer as a tar, runtime mount points left out. */
  diffTar(id: string): Readable;
  remove(id: string): Promise<void>;
}

export interface BuildMounter {
  mount(mounts: readonly Mount[], target: string): Promise<void>;
  unmount(target: string): Promise<void>;
}
