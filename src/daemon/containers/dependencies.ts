/**
 * What the containers service needs from the rest of skiff, as narrow interfaces (STYLE R1).
 * The composition root (skiffd/) adapts the image store, the snapshot driver, the volume
 * service, the spec generator and the runtime to these.
 */
import type { Readable } from 'node:stream';
import type { HealthcheckConfig, HostConfig } from './container-config.js';
import type { Mount, Change, Usage } from '../../snapshot/snapshotter.js';
import type {
  SpecInput,
  ResolvedUser,
  DockerSeccompProfile,
} from '../../runtime/spec/spec-input.js';
import type { ProcessSpec } from '../../runtime/runtime.js';
import type { Platform } from '../../image/descriptor.js';

export interface ImageConfigView {
  readonly env: readonly string[];
  readonly cmd?: readonly string[];
  readonly entrypoint?: readonly string[];
  readonly workingDir: string;
  readonly user: string;
  readonly volumes: readonly string[];
  readonly exposedPorts: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly stopSignal?: string;
  readonly healthcheck?: HealthcheckConfig;
  readonly shell?: readonly string[];
}

export interface ImageView {
  /** "sha256:<hex>" */
  readonly id: string;
  /** Chain ids, last = top layer (the parent of the container's writable snapshot). */
  readonly chainIds: readonly string[];
  readonly config: ImageConfigView;
  /** Bytes of the image's layers (for SizeRootFs). */
  readonly size: number;
  /** From the image config (create's `platform` query is checked against it). */
  readonly platform?: Platform;
}

export interface ImageResolver {
  /** NotFoundError("No such image: <ref>") when absent. */
  resolve(ref: string): Promise<ImageView>;
}

export interface ContainerSnapshots {
  prepare(key: string, parent?: string, labels?: Record<string, string>): Promise<Mount[]>;
  mounts(key: string): Promise<Mount[]>;
  remove(key: string): Promise<void>;
  usage(key: string): Promise<Usage>;
  changes(key: string, exclude?: (path: string) => boolean): Promise<Change[]>;
  diffTar(key: string, exclude?: (path: string) => boolean): Readable;
}

export interface RootfsMounter {
  mount(mounts: readonly Mount[], target: string): Promise<void>;
  unmount(target: string): Promise<void>;
}

export interface VolumeProvider {
  /** Returns the named volume, creating it when missing; anonymous when `name` is undefined. */
  create(o: {
    name?: string;
    driver?: string;
    labels?: Readonly<Record<string, string>>;
    options?: Readonly<Record<string, string>>;
  }): Promise<{
    volume: { readonly name: string; readonly mountpoint: string; readonly driver: string };
    created: boolean;
  }>;
  /** Removes a volume unless a container uses it; missing is fine (anonymous ones, with `rm -v`). */
  removeIfUnused(name: string): Promise<void>;
}

/** The OCI spec generator and the rootless pass, composed by skiffd. */
export interface SpecFactory {
  /** Pure: the spec to write to config.json, and warnings for the client. */
  build(input: SpecInput): { spec: object; warnings: string[] };
  resolveUser(rootfs: string, user: string, groupAdd: readonly string[]): Promise<ResolvedUser>;
  /** The process of an exec, from the container's spec. */
  execProcess(
    base: object,
    exec: {
      cmd: readonly string[];
      env: readonly string[];
      user: ResolvedUser;
      workingDir: string;
      tty: boolean;
      privileged: boolean;
    },
  ): ProcessSpec;
  /** Warnings for limits that cannot be applied here (returned by create and update). */
  resourceWarnings(hostConfig: HostConfig): string[];
  readonly defaultSeccomp?: DockerSeccompProfile;
}

export interface LogLine {
  readonly time: Date;
  readonly stream: 'stdout' | 'stderr';
  /** The bytes as the container wrote them, with the newline when the line had one. */
  readonly line: Buffer;
}

export interface LogReadOptions {
  readonly follow: boolean;
  /** Only lines at or after / before these times. */
  readonly since?: Date;
  readonly until?: Date;
  /** Only the last N lines (before following). */
  readonly tail?: number;
  readonly signal: AbortSignal;
  /** When following: resolves when no more output can come (the container stopped). */
  readonly done?: Promise<void>;
}

/** Reads a container's log file (conmon's k8s-file format), as the runtime layer writes it. */
export interface LogReader {
  read(path: string, o: LogReadOptions): AsyncIterable<LogLine>;
}
