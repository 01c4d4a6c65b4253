/**
 * `docker stats` without cgroups: CPU time, memory, pids, network and block I/O summed over the
 * container's processes from /proc — true figures, never made up. With cgroup v2 delegation the
 * runtime could read cgroup files; this host has none, so /proc is the source everywhere.
 */
import { readFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';

const CLK_TCK = 100;

export interface ProcSample {
  readonly read: Date;
  readonly cpuTotalNs: number;
  readonly cpuUserNs: number;
  readonly cpuKernelNs: number;
  readonly systemCpuNs: number;
  readonly memoryBytes: number;
  readonly pids: number;
  readonly net: Readonly<Record<string, NetCounters>>;
  readonly ioReadBytes: number;
  readonly ioWriteBytes: number;
}

export interface NetCounters {
  readonly rxBytes: number;
  readonly rxPackets: number;
  readonly rxErrors: number;
  readonly rxDropped: number;
  readonly txBytes: number;
  readonly txPackets: number;
  readonly txErrors: number;
  readonly txDropped: number;
}

export async function sampleProcesses(
  pids: readonly number[],
  netPid: number | undefined,
): Promise<ProcSample> {
  let user = 0;
  let kernel = 0;
  let rss = 0;
  let ioRead = 0;
  let ioWrite = 0;
  let alive = 0;
  for (const pid of pids) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
    if (!stat) continue;
    alive++;
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    user += Number(f[11] ?? 0);
    kernel += Number(f[12] ?? 0);
    rss += Number(f[21] ?? 0) * 4096;
    const io = await readFile(`/proc/${pid}/io`, 'utf8').catch(() => '');
    ioRead += Number(/^read_bytes:\s+(\d+)/m.exec(io)?.[1] ?? 0);
    ioWrite += Number(/^write_bytes:\s+(\d+)/m.exec(io)?.[1] ?? 0);
  }
  const tick = 1e9 / CLK_TCK;
  return {
    read: new Date(),
    cpuTotalNs: (user + kernel) * tick,
    cpuUserNs: user * tick,
    cpuKernelNs: kernel * tick,
    systemCpuNs: await systemCpuNs(),
    memoryBytes: rss,
    pids: alive,
    net:
      netPid !== undefined
        ? parseNetDev(await readFile(`/proc/${netPid}/net/dev`, 'utf8').catch(() => ''))
        : {},
    ioReadBytes: ioRead,
    ioWriteBytes: ioWrite,
  };
}

async function systemCpuNs(): Promise<number> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
  const ticks = line
    .trim()
    .split(/\s+/)
    .slice(1, 8)
    .reduce((n, v) => n + Number(v), 0);
  return ticks * (1e9 / CLK_TCK);
}

export function parseNetDev(text: string): Record<string, NetCounters> {
  const out: Record<string, NetCounters> = {};
  for (const line of text.split('\n').slice(2)) {
    const m = /^\s*([^:]+):\s*(.*)$/.exec(line);
    if (!m?.[1] || m[2] === undefined) continue;
    const name = m[1].trim();
    if (name === 'lo') continue;
    const v = m[2].trim().split(/\s+/).map(Number);
    out[name] = {
      rxBytes: v[0] ?? 0,
      rxPackets: v[1] ?? 0,
      rxErrors: v[2] ?? 0,
      rxDropped: v[3] ?? 0,
      txBytes: v[8] ?? 0,
      txPackets: v[9] ?? 0,
      txErrors: v[10] ?? 0,
      txDropped: v[11] ?? 0,
    };
  }
  return out;
}

export const hostMemory = (): number => totalmem();
export const onlineCpus = (): number => cpus().length;
