/**
 * The kernel-confined file calls of native/skiff-confine.c (a Node addon), typed. skiffd is root
 * in the user namespace and sees the user's whole home: any path that a container or an image
 * controls is resolved here by the kernel (openat2 with RESOLVE_IN_ROOT or RESOLVE_BENEATH, and
 * *at() calls on one name under a held directory), never by a check followed by a path-string
 * call that a container could race.
 */
import { constants } from 'node:fs';
import { createRequire } from 'node:module';
import { UnavailableError } from '../errors.js';

/** The stat fields skiff uses, as fstatat(2) gives them. */
export interface RawStat {
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly nlink: number;
  readonly ino: number;
  readonly dev: number;
  readonly rdev: number;
  readonly mtimeSec: number;
  readonly mtimeNsec: number;
}

interface ConfineBinding {
  openat2(dirfd: number, path: string, flags: number, mode: number, resolve: number): number;
  /** O_NOFOLLOW is always added. */
  openat(dirfd: number, name: string, flags: number, mode: number): number;
  mkdirat(dirfd: number, name: string, mode: number): void;
  symlinkat(target: string, dirfd: number, name: string): void;
  linkFd(fd: number, dirfd: number, name: string): void;
  removeTree(dirfd: number, name: string): void;
  lstatat(dirfd: number, name: string): RawStat;
  readlinkat(dirfd: number, name: string): string;
  readdir(dirfd: number): string[];
  lchownat(dirfd: number, name: string, uid: number, gid: number): void;
  lutimesat(dirfd: number, name: string, sec: number, nsec: number): void;
  /** The xattr `attr` of directory `name` ("" = dirfd itself); undefined when unset. */
  dirXattrAt(dirfd: number, name: string, attr: string): string | undefined;
  /** glibc's malloc_trim(0): free heap pages back to the kernel; whether any were. */
  mallocTrim(): boolean;
}

/** open(2) flags Node's fs.constants lacks. */
export const O_PATH = 0o10000000;
export const AT_FDCWD = -100;
export const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_DIRECTORY, O_NONBLOCK } =
  constants;

/** openat2(2)'s resolve flags. */
export const RESOLVE_NO_XDEV = 0x01;
export const RESOLVE_NO_MAGICLINKS = 0x02;
export const RESOLVE_NO_SYMLINKS = 0x04;
export const RESOLVE_BENEATH = 0x08;
export const RESOLVE_IN_ROOT = 0x10;

const S_IFMT = 0o170000;
export const isDirMode = (mode: number): boolean => (mode & S_IFMT) === 0o040000;
export const isFileMode = (mode: number): boolean => (mode & S_IFMT) === 0o100000;
export const isSymlinkMode = (mode: number): boolean => (mode & S_IFMT) === 0o120000;
export const isFifoMode = (mode: number): boolean => (mode & S_IFMT) === 0o010000;
export const isCharMode = (mode: number): boolean => (mode & S_IFMT) === 0o020000;
export const isBlockMode = (mode: number): boolean => (mode & S_IFMT) === 0o060000;

/** A stat's mtime as a Date (millisecond precision, as tar headers and Docker's JSON keep it). */
export const mtimeOf = (st: RawStat): Date =>
  new Date(st.mtimeSec * 1000 + Math.floor(st.mtimeNsec / 1e6));

let binding: ConfineBinding | undefined;

/** The addon, loaded on first use (native/build/skiff-confine.node, made by `npm run build`). */
export function confined(): ConfineBinding {
  if (binding) return binding;
  const require = createRequire(import.meta.url);
  // src/confine/ and dist/confine/ are both two levels below the project root.
  const path = new URL('../../native/build/skiff-confine.node', import.meta.url).pathname;
  try {
    binding = require(path) as ConfineBinding;
  } catch (e) {
    throw new UnavailableError(
      `skiff-confine addon not loadable (${path}): run npm run build (${e instanceof Error ? e.message : String(e)})`,
    );
  }
  return binding;
}

/** The errno name of a failed confined call ("ENOENT", "ELOOP", ...). */
export function errnoOf(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}
