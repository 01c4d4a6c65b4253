/**
 * Steps that change only the image config (ENV, LABEL, CMD, USER...): the next runtime config
 * and the history comment dockerd's classic builder writes for them (`ENV a=b`, `CMD ["sh"
 * "-c" "x"]`, `EXPOSE 80`, `VOLUME [/data]`), formatted as Go's fmt verbs print them, because
 * `docker history` output and cache matching against Docker-built images depend on that text.
 */
import { posix } from 'node:path';
import type { ImageRuntimeConfig } from '../image/image-config.js';
import { InvalidArgumentError } from '../errors.js';
import type { CommandForm, Instruction } from './dockerfile/instructions.js';
import { setEnv, type StageState } from './stage-state.js';

export type MetadataInstruction = Exclude<
  Instruction,
  { kind: 'RUN' } | { kind: 'COPY' } | { kind: 'ADD' } | { kind: 'ARG' }
>;

/** Go's %q of a []string: ["a" "b"]. */
export function goQuoted(list: readonly string[]): string {
  return `[${list.map((s) => JSON.stringify(s)).join(' ')}]`;
}

/** Go's %v of a []string: [a b]. */
function goList(list: readonly string[]): string {
  return `[${list.join(' ')}]`;
}

/** A Go time.Duration's String() for nanoseconds (1m30s, 500ms, 0s). */
export function goDuration(ns: number): string {
  if (ns === 0) return '0s';
  if (ns < 1e6) return ns < 1e3 ? `${ns}ns` : `${trim(ns / 1e3)}µs`;
  if (ns < 1e9) return `${trim(ns / 1e6)}ms`;
  let s = ns / 1e9;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return `${h > 0 ? `${h}h` : ''}${h > 0 || m > 0 ? `${m}m` : ''}${trim(s)}s`;
}

const trim = (n: number): string => String(Number(n.toFixed(9)));

/** A CMD/ENTRYPOINT as the config stores it: the shell form runs through SHELL. */
export function commandArgs(c: CommandForm, shell: readonly string[]): string[] {
  return c.form === 'exec' ? [...c.args] : [...shell, c.script];
}

/** Applies one config-only instruction; returns the history comment. */
export function applyMetadata(st: StageState, ins: MetadataInstruction): string {
  const c = st.runConfig;
  const set = (next: Partial<ImageRuntimeConfig>): void => {
    st.runConfig = { ...c, ...next };
  };
  switch (ins.kind) {
    case 'ENV': {
      let env = c.env;
      for (const [k, v] of ins.pairs) env = setEnv(env, k, v);
      set({ env });
      return `ENV ${ins.pairs.map(([k, v]) => `${k}=${v}`).join(' ')}`;
    }
    case 'LABEL': {
      const labels = { ...c.labels };
      for (const [k, v] of ins.pairs) labels[k] = v;
      set({ labels });
      return `LABEL ${ins.pairs.map(([k, v]) => `${k}=${v}`).join(' ')}`;
    }
    case 'MAINTAINER':
      st.author = ins.name;
      return `MAINTAINER ${ins.name}`;
    case 'WORKDIR': {
      // Relative to the current one, as dockerd; the directory is made by the next step that needs it.
      const dir = posix.resolve('/', c.workingDir || '/', ins.path);
      set({ workingDir: dir });
      return `WORKDIR ${dir}`;
    }
    case 'USER':
      set({ user: ins.user });
      return `USER ${ins.user}`;
    case 'EXPOSE': {
      const ports = [...c.exposedPorts];
      for (const p of ins.ports) {
        const key = normalizePort(p);
        for (const k of key) if (!ports.includes(k)) ports.push(k);
      }
      set({ exposedPorts: ports });
      return `EXPOSE ${ins.ports.join(' ')}`;
    }
    case 'VOLUME': {
      const volumes = [...c.volumes];
      for (const v of ins.paths) {
        if (v.trim() === '')
          throw new InvalidArgumentError('VOLUME specified can not be an empty string');
        if (!volumes.includes(v)) volumes.push(v);
      }
      set({ volumes });
      return `VOLUME ${goList(ins.paths)}`;
    }
    case 'STOPSIGNAL':
      set({ stopSignal: ins.signal });
      return `STOPSIGNAL ${ins.signal}`;
    case 'HEALTHCHECK': {
      if (!ins.test) {
        set({
          healthcheck: {
            test: ['NONE'],
            interval: 0,
            timeout: 0,
            startPeriod: 0,
            startInterval: 0,
            retries: 0,
          },
        });
        return 'HEALTHCHECK &{["NONE"] "0s" "0s" "0s" "0s" \'\\x00\'}';
      }
      const hc = {
        test: ins.test,
        interval: ins.interval,
        timeout: ins.timeout,
        startPeriod: ins.startPeriod,
        startInterval: ins.startInterval,
        retries: ins.retries,
      };
      set({ healthcheck: hc });
      const retries = `'\\x${hc.retries.toString(16).padStart(2, '0')}'`;
      return `HEALTHCHECK &{${goQuoted(hc.test)} "${goDuration(hc.interval)}" "${goDuration(hc.timeout)}" "${goDuration(hc.startPeriod)}" "${goDuration(hc.startInterval)}" ${retries}}`;
    }
    case 'SHELL':
      set({ shell: ins.shell });
      return `SHELL ${goList(ins.shell)}`;
    case 'CMD': {
      const cmd = commandArgs(ins.command, st.shell());
      set({ cmd });
      st.cmdSet = true;
      return `CMD ${goQuoted(cmd)}`;
    }
    case 'ENTRYPOINT': {
      const entrypoint = commandArgs(ins.command, st.shell());
      // An ENTRYPOINT clears the CMD inherited from the base image (not one set in this stage).
      const { cmd: inherited, ...rest } = c;
      st.runConfig =
        st.cmdSet && inherited ? { ...rest, cmd: inherited, entrypoint } : { ...rest, entrypoint };
      return `ENTRYPOINT ${goQuoted(entrypoint)}`;
    }
    case 'ONBUILD':
      set({ onBuild: [...(c.onBuild ?? []), ins.trigger] });
      return `ONBUILD ${ins.trigger}`;
  }
}

/** "80" → ["80/tcp"], "8000-8002/udp" → three, as nat.ParsePortSpecs. */
function normalizePort(spec: string): string[] {
  const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(spec.trim());
  if (!m?.[1]) throw new InvalidArgumentError(`invalid containerPort: ${spec}`);
  const lo = Number(m[1]);
  const hi = m[2] ? Number(m[2]) : lo;
  if (lo < 1 || hi > 65535 || hi < lo)
    throw new InvalidArgumentError(`invalid containerPort: ${spec}`);
  const proto = (m[3] ?? 'tcp').toLowerCase();
  const out: string[] = [];
  for (let p = lo; p <= hi; p++) out.push(`${p}/${proto}`);
  return out;
}
