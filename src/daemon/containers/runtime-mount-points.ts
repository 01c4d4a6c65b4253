/**
 * Files the runtime creates in a container's writable layer only as mount points for the
 * per-container /etc files. Docker keeps them in a separate "init" layer so that `docker diff`
 * and `docker commit` never show them; skiff filters them out instead.
 */
const MOUNT_POINTS = new Set(['/etc/hosts', '/etc/hostname', '/etc/resolv.conf', '/.dockerenv']);

export function isRuntimeMountPoint(path: string): boolean {
  return MOUNT_POINTS.has(path);
}
