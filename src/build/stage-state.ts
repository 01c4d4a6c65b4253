/**
 * Where a build stage stands between steps: the image so far (none for `FROM scratch` before
 * its first layer), the config the next image gets, and the ARG values in scope. Variable
 * lookups follow dockerd: ENV wins over ARG of the same name.
 */
import {
  EMPTY_RUNTIME_CONFIG,
  type ImageConfig,
  type ImageRuntimeConfig,
} from '../image/image-config.js';
import type { StoredImage } from '../image/image-store.js';

/** Build args usable without an ARG line (dockerd's builtinAllowedBuildArgs); kept out of history. */
export const PROXY_ARGS = new Set([
  'HTTP_PROXY',
  'http_proxy',
  'HTTPS_PROXY',
  'https_proxy',
  'FTP_PROXY',
  'ftp_proxy',
  'NO_PROXY',
  'no_proxy',
  'ALL_PROXY',
  'all_proxy',
]);

export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface StageBase {
  readonly image?: StoredImage;
  readonly config?: ImageConfig;
}

export class StageState {
  image: StoredImage | undefined;
  imageConfig: ImageConfig | undefined;
  runConfig: ImageRuntimeConfig;
  /** ARGs declared in this stage, in order, with their values (undefined: declared, unset). */
  readonly args = new Map<string, string | undefined>();
  /** CMD given in this stage (an ENTRYPOINT then keeps it; else it clears the base image's). */
  cmdSet = false;
  author: string | undefined;

  constructor(
    readonly name: string | undefined,
    base: StageBase,
  ) {
    this.image = base.image;
    this.imageConfig = base.config;
    const c = base.config?.config ?? EMPTY_RUNTIME_CONFIG;
    // dockerd gives every stage a PATH (setDefaultPath) when its image has none.
    this.runConfig = c.env.some((e) => e.startsWith('PATH='))
      ? c
      : { ...c, env: [...c.env, DEFAULT_PATH] };
  }

  /** The image id a step builds on ("" before the first layer of `FROM scratch`). */
  get imageId(): string {
    return this.image?.id ?? '';
  }

  envValue(name: string): string | undefined {
    for (let i = this.runConfig.env.length - 1; i >= 0; i--) {
      const e = this.runConfig.env[i] ?? '';
      const eq = e.indexOf('=');
      if ((eq < 0 ? e : e.slice(0, eq)) === name) return eq < 0 ? '' : e.slice(eq + 1);
    }
    return undefined;
  }

  readonly lookup = (name: string): string | undefined =>
    this.envValue(name) ?? this.args.get(name);

  /** `|N K=v ...` and the env RUN gets: declared ARGs with a value that no ENV overrides. */
  runArgs(proxyArgs: Readonly<Record<string, string | undefined>>): {
    history: string[];
    env: string[];
  } {
    const history: string[] = [];
    const env: string[] = [];
    for (const [k, v] of this.args) {
      if (v === undefined || this.envValue(k) !== undefined) continue;
      history.push(`${k}=${v}`);
      env.push(`${k}=${v}`);
    }
    for (const [k, v] of Object.entries(proxyArgs)) {
      if (v === undefined || !PROXY_ARGS.has(k) || this.args.has(k)) continue;
      env.push(`${k}=${v}`);
    }
    history.sort();
    return { history, env };
  }

  shell(): readonly string[] {
    return this.runConfig.shell ?? ['/bin/sh', '-c'];
  }
}

/** Sets `KEY=value` in an env list, replacing an earlier value of that key in place. */
export function setEnv(env: readonly string[], key: string, value: string): string[] {
  const out = [...env];
  const i = out.findIndex((e) => e === key || e.startsWith(`${key}=`));
  if (i >= 0) out[i] = `${key}=${value}`;
  else out.push(`${key}=${value}`);
  return out;
}
