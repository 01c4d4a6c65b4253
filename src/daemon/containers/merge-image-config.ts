/**
 * Fills a create request's unset fields from the image config, with dockerd's rules
 * (daemon/create.go merge): env by key, labels by key, ports and volumes as unions; an
 * overridden entrypoint drops the image's Cmd; `--entrypoint ""` clears the image's entrypoint.
 */
import type { ContainerConfig, HealthcheckConfig } from './container-config.js';
import type { ContainerConfigInput } from './create-request.js';
import type { ImageConfigView } from './dependencies.js';

export function mergeImageConfig(
  user: ContainerConfigInput,
  image: ImageConfigView,
): ContainerConfig {
  const env = mergeEnv(image.env, user.env);
  let entrypoint: readonly string[];
  let cmd: readonly string[];
  if (user.entrypoint === undefined || user.entrypoint.length === 0) {
    entrypoint = image.entrypoint ?? [];
    cmd = user.cmd ?? image.cmd ?? [];
  } else if (user.entrypoint.length === 1 && user.entrypoint[0] === '') {
    entrypoint = [];
    cmd = user.cmd ?? [];
  } else {
    entrypoint = user.entrypoint;
    cmd = user.cmd ?? [];
  }
  const healthcheck = mergeHealthcheck(user.healthcheck, image.healthcheck);
  const stopSignal = user.stopSignal ?? image.stopSignal;
  const shell = user.shell ?? image.shell;
  return {
    hostname: user.hostname,
    domainname: user.domainname,
    user: user.user || image.user,
    attachStdin: user.attachStdin,
    attachStdout: user.attachStdout,
    attachStderr: user.attachStderr,
    tty: user.tty,
    openStdin: user.openStdin,
    stdinOnce: user.stdinOnce,
    env,
    cmd,
    entrypoint,
    image: user.image,
    workingDir: user.workingDir || image.workingDir,
    labels: { ...image.labels, ...user.labels },
    ...(stopSignal ? { stopSignal } : {}),
    ...(user.stopTimeout !== undefined ? { stopTimeout: user.stopTimeout } : {}),
    exposedPorts: union(image.exposedPorts, user.exposedPorts),
    volumes: union(image.volumes, user.volumes),
    ...(healthcheck ? { healthcheck } : {}),
    networkDisabled: user.networkDisabled,
    ...(user.macAddress ? { macAddress: user.macAddress } : {}),
    ...(shell ? { shell } : {}),
  };
}

export function mergeEnv(base: readonly string[], override: readonly string[]): string[] {
  const key = (e: string): string => (e.includes('=') ? e.slice(0, e.indexOf('=')) : e);
  const overridden = new Set(override.map(key));
  return [...base.filter((e) => !overridden.has(key(e))), ...override];
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])];
}

function mergeHealthcheck(
  user: HealthcheckConfig | undefined,
  image: HealthcheckConfig | undefined,
): HealthcheckConfig | undefined {
  if (!user) return image;
  if (!image) return user;
  return {
    test: user.test.length > 0 ? user.test : image.test,
    interval: user.interval || image.interval,
    timeout: user.timeout || image.timeout,
    startPeriod: user.startPeriod || image.startPeriod,
    startInterval: user.startInterval || image.startInterval,
    retries: user.retries || image.retries,
  };
}
