/**
 * Dockerfile-style `changes` for `docker commit -c` and `docker import -c`: CMD, ENTRYPOINT,
 * ENV, EXPOSE, LABEL, USER, VOLUME, WORKDIR, STOPSIGNAL, ONBUILD, SHELL — JSON or shell form.
 */
import { InvalidArgumentError } from '../../errors.js';
import type { ImageRuntimeConfig } from '../../image/image-config.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function jsonOrShell(arg: string, shell: readonly string[] | undefined): string[] {
  const t = arg.trim();
  if (t.startsWith('[')) {
    try {
      const v = JSON.parse(t) as unknown;
      if (Array.isArray(v) && v.every((x): x is string => typeof x === 'string')) return v;
    } catch {
      // shell form after all
    }
  }
  return [...(shell && shell.length > 0 ? shell : ['/bin/sh', '-c']), t];
}

function keyValues(arg: string, instr: string): [string, string][] {
  const out: [string, string][] = [];
  const t = arg.trim();
  if (!t.includes('=')) {
    const sp = t.indexOf(' ');
    if (sp < 0) throw new InvalidArgumentError(`${instr} requires at least one argument`);
    return [[t.slice(0, sp), t.slice(sp + 1).trim()]];
  }
  const re = /([^\s=]+)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(t)) !== null) {
    let v = m[2] ?? '';
    if (v.startsWith('"')) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
    else if (v.startsWith("'")) v = v.slice(1, -1);
    out.push([m[1] ?? '', v]);
  }
  return out;
}

export function applyChanges(
  base: ImageRuntimeConfig,
  changes: readonly string[],
): ImageRuntimeConfig {
  const c: Mutable<ImageRuntimeConfig> = {
    ...base,
    env: [...base.env],
    exposedPorts: [...base.exposedPorts],
    volumes: [...base.volumes],
    labels: { ...base.labels },
  };
  for (const line of changes) {
    const t = line.trim();
    if (t === '') continue;
    const sp = t.search(/\s/);
    const instr = (sp < 0 ? t : t.slice(0, sp)).toUpperCase();
    const arg = sp < 0 ? '' : t.slice(sp + 1);
    switch (instr) {
      case 'CMD':
        c.cmd = jsonOrShell(arg, c.shell);
        break;
      case 'ENTRYPOINT':
        c.entrypoint = jsonOrShell(arg, c.shell);
        break;
      case 'ENV':
        for (const [k, v] of keyValues(arg, 'ENV'))
          c.env = [...c.env.filter((e) => !e.startsWith(`${k}=`)), `${k}=${v}`];
        break;
      case 'LABEL':
        for (const [k, v] of keyValues(arg, 'LABEL')) c.labels = { ...c.labels, [k]: v };
        break;
      case 'EXPOSE':
        for (const p of arg.trim().split(/\s+/))
          c.exposedPorts = [...new Set([...c.exposedPorts, p.includes('/') ? p : `${p}/tcp`])];
        break;
      case 'VOLUME':
        c.volumes = [
          ...new Set([
            ...c.volumes,
            ...(arg.trim().startsWith('[')
              ? (JSON.parse(arg) as string[])
              : arg.trim().split(/\s+/)),
          ]),
        ];
        break;
      case 'USER':
        c.user = arg.trim();
        break;
      case 'WORKDIR':
        c.workingDir = arg.trim();
        break;
      case 'STOPSIGNAL':
        c.stopSignal = arg.trim();
        break;
      case 'ONBUILD':
        c.onBuild = [...(c.onBuild ?? []), arg.trim()];
        break;
      case 'SHELL':
        c.shell = jsonOrShell(arg, undefined);
        break;
      default:
        throw new InvalidArgumentError(`${instr} is not a valid change command`);
    }
  }
  return c;
}
