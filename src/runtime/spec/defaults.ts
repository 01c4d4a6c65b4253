/** Docker's defaults for a container's spec (moby oci/defaults.go, oci/caps/defaults.go). */

export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

export const DEFAULT_MASKED_PATHS: readonly string[] = [
  '/proc/asound',
  '/proc/acpi',
  '/proc/interrupts',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
];

export const DEFAULT_READONLY_PATHS: readonly string[] = [
  '/proc/bus',
  '/proc/fs',
  '/proc/irq',
  '/proc/sys',
  '/proc/sysrq-trigger',
];

export const DEFAULT_PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Docker raises the open-files limit of containers (dockerd's own default). */
export const DEFAULT_NOFILE = { type: 'RLIMIT_NOFILE', soft: 1048576, hard: 1048576 };

/** Namespaced sysctls a container may set (moby validNamespacedSysctls / runc's rules). */
export function sysctlNamespace(key: string): 'ipc' | 'net' | 'uts' | undefined {
  if (key.startsWith('net.')) return 'net';
  if (
    [
      'kernel.msgmax',
      'kernel.msgmnb',
      'kernel.msgmni',
      'kernel.sem',
      'kernel.shmall',
      'kernel.shmmax',
      'kernel.shmmni',
      'kernel.shm_rmid_forced',
    ].includes(key)
  )
    return 'ipc';
  if (key.startsWith('fs.mqueue.')) return 'ipc';
  if (key === 'kernel.domainname' || key === 'kernel.hostname') return 'uts';
  return undefined;
}
