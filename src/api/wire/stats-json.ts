/** Docker's stats JSON (ContainerStatsResponse) from /proc samples. */
import type { ProcSample } from '../../daemon/containers/inspect/container-stats.js';
import { hostMemory, onlineCpus } from '../../daemon/containers/inspect/container-stats.js';

const ZERO = '0001-01-01T00:00:00Z';

function cpu(s: ProcSample | undefined): Record<string, unknown> {
  if (!s)
    return {
      cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 },
      throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
    };
  return {
    cpu_usage: {
      total_usage: s.cpuTotalNs,
      usage_in_kernelmode: s.cpuKernelNs,
      usage_in_usermode: s.cpuUserNs,
    },
    system_cpu_usage: s.systemCpuNs,
    online_cpus: onlineCpus(),
    throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
  };
}

export function statsJson(
  name: string,
  id: string,
  cur: ProcSample | undefined,
  pre: ProcSample | undefined,
): Record<string, unknown> {
  return {
    name: `/${name}`,
    id,
    read: cur?.read.toISOString() ?? ZERO,
    preread: pre?.read.toISOString() ?? ZERO,
    pids_stats: cur ? { current: cur.pids } : {},
    blkio_stats: {
      io_service_bytes_recursive: cur
        ? [
            { major: 0, minor: 0, op: 'read', value: cur.ioReadBytes },
            { major: 0, minor: 0, op: 'write', value: cur.ioWriteBytes },
          ]
        : null,
    },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cpu(cur),
    precpu_stats: cpu(pre),
    memory_stats: cur ? { usage: cur.memoryBytes, stats: {}, limit: hostMemory() } : {},
    ...(cur
      ? {
          networks: Object.fromEntries(
            Object.entries(cur.net).map(([k, n]) => [
              k,
              {
                rx_bytes: n.rxBytes,
                rx_packets: n.rxPackets,
                rx_errors: n.rxErrors,
                rx_dropped: n.rxDropped,
                tx_bytes: n.txBytes,
                tx_packets: n.txPackets,
                tx_errors: n.txErrors,
                tx_dropped: n.txDropped,
              },
            ]),
          ),
        }
      : {}),
  };
}
