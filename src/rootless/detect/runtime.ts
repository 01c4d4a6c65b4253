/**
 * Chooses the OCI runtime by running a real container with each candidate (crun first: it is
 * faster and lighter; then runc), so that a runtime that installs fine but refuses this host —
 * crun 1.8 on a hybrid cgroup hierarchy: "cgroups in hybrid mode not supported" — is reported
 * and skipped instead of failing every `docker run`.
 */
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { RuntimeName, RuntimeProfile } from '../../host.js';
import { InvalidArgumentError, messageOf } from '../../errors.js';
import { run, spawnCollect } from '../../proc/run.js';
import { command } from '../../proc/command.js';
import { globalRuntimeArgs } from '../../runtime/oci/runtime-args.js';

export interface RuntimeProbeInputs {
  readonly candidates: readonly { name: RuntimeName; path: string | undefined }[];
  readonly forced?: RuntimeName;
  /** A static binary to run inside the probe container (skiff's hello). */
  readonly probeBinary: string;
  readonly workDir: string;
}

export interface RuntimeDetection {
  readonly runtime?: RuntimeProfile;
  readonly rejected: readonly { name: RuntimeName; reason: string }[];
}

export async function detectRuntime(i: RuntimeProbeInputs): Promise<RuntimeDetection> {
  const rejected: { name: RuntimeName; reason: string }[] = [];
  const order = i.forced ? i.candidates.filter((c) => c.name === i.forced) : i.candidates;
  for (const c of order) {
    if (!c.path) {
      rejected.push({ name: c.name, reason: 'not installed' });
      continue;
    }
    const result = await probeOne(c.name, c.path, i);
    if (result.ok)
      return {
        runtime: { name: c.name, path: c.path, version: result.version, rejected },
        rejected,
      };
    rejected.push({ name: c.name, reason: result.reason });
  }
  if (i.forced) {
    const why = rejected.map((r) => `${r.name}: ${r.reason}`).join('; ');
    throw new InvalidArgumentError(
      `runtime ${i.forced} cannot run containers on this host (${why})`,
    );
  }
  return { rejected };
}

type ProbeResult = { ok: true; version: string } | { ok: false; reason: string };

async function probeOne(
  name: RuntimeName,
  path: string,
  i: RuntimeProbeInputs,
): Promise<ProbeResult> {
  let version: string;
  try {
    version = await run(path, {
      argv: ['--version'],
      parse: (out) => /version\s+(\S+)/.exec(out)?.[1] ?? out.split('\n')[0] ?? '',
    });
  } catch (e) {
    return { ok: false, reason: messageOf(e) };
  }
  const id = `skiff-probe-${randomBytes(4).toString('hex')}`;
  const bundle = join(i.workDir, id);
  const root = join(i.workDir, `${id}-state`);
  try {
    await mkdir(join(bundle, 'rootfs', 'proc'), { recursive: true });
    await mkdir(join(bundle, 'rootfs', 'dev'), { recursive: true });
    await copyFile(i.probeBinary, join(bundle, 'rootfs', 'probe'));
    await writeFile(join(bundle, 'config.json'), JSON.stringify(probeSpec()));
    const r = await spawnCollect(
      path,
      [...globalRuntimeArgs(name, root), 'run', '--bundle', bundle, id],
      { timeoutMs: 20_000 },
    );
    if (r.code === 0) return { ok: true, version };
    return {
      ok: false,
      reason: firstError(r.stderr) || `exit status ${r.code ?? r.signal ?? '?'}`,
    };
  } catch (e) {
    return { ok: false, reason: messageOf(e) };
  } finally {
    await run(path, command([...globalRuntimeArgs(name, root), 'delete', '--force', id])).catch(
      () => undefined,
    );
    await rm(bundle, { recursive: true, force: true });
    await rm(root, { recursive: true, force: true });
  }
}

function firstError(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  const line = lines.find((l) => /error|not supported|denied|failed/i.test(l)) ?? lines[0] ?? '';
  // runc/crun log JSON or logfmt: keep just the message.
  const msg = /msg="([^"]*)"/.exec(line)?.[1] ?? line;
  return msg.length > 300 ? `${msg.slice(0, 300)}...` : msg;
}

function probeSpec(): unknown {
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: ['/probe'],
      env: ['PATH=/'],
      cwd: '/',
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'probe',
    mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }],
    linux: {
      namespaces: [
        { type: 'pid' },
        { type: 'mount' },
        { type: 'ipc' },
        { type: 'uts' },
        { type: 'network' },
      ],
    },
  };
}
