/**
 * Docker's `POST /containers/create` body (ContainerConfig + HostConfig + NetworkingConfig) into
 * a CreateRequest. Validation that needs no state happens here, with Docker's messages.
 */
import { InvalidArgumentError } from '../../errors.js';
import type {
  CreateRequest,
  ContainerConfigInput,
  EndpointRequest,
} from '../../daemon/containers/create-request.js';
import type { HealthcheckConfig } from '../../daemon/containers/container-config.js';
import { validateName } from '../../daemon/containers/container-names.js';
import { parseReference } from '../../image/reference.js';
import { parseHostConfig } from './host-config.js';
import { normalizePort } from './ports.js';
import {
  asObject,
  bool,
  goInt,
  goStrList,
  isObject,
  keySet,
  optGoBool,
  optGoInt,
  optString,
  str,
  strList,
  strMap,
  strSlice,
  type GoField,
  type GoIntType,
  type JsonObject,
} from './json-fields.js';

const IMAGE_ID = /^(sha256:)?[a-f0-9]{64}$/;

export function parseCreateBody(
  body: unknown,
  name: string | null,
  platform: string | null,
): CreateRequest {
  if (body === undefined)
    throw new InvalidArgumentError('config cannot be empty in order to create a container');
  if (!isObject(body))
    throw new InvalidArgumentError('invalid JSON: the request body must be an object');
  const config = parseConfig(body);
  const hostConfig = parseHostConfig(asObject(body['HostConfig'], 'HostConfig'));
  const networking = asObject(body['NetworkingConfig'], 'NetworkingConfig');
  return {
    // Validated here for Docker's message, which echoes the name as given (`/a/b`).
    ...(name ? { name: validateName(name) } : {}),
    config,
    hostConfig,
    endpoints: parseEndpoints(
      asObject(networking['EndpointsConfig'], 'NetworkingConfig.EndpointsConfig'),
    ),
    ...(platform ? { platform } : {}),
  };
}

export function parseConfig(o: JsonObject): ContainerConfigInput {
  const image = str(o, 'Image');
  if (image === '') throw new InvalidArgumentError('no image specified');
  // A name must be a valid reference (400, as dockerd), not looked up and missed (404); a
  // full image ID is no name.
  if (!IMAGE_ID.test(image)) parseReference(image);
  const cmd = strSlice(o, 'Cmd');
  const entrypoint = strSlice(o, 'Entrypoint');
  const healthcheck =
    o['Healthcheck'] === undefined || o['Healthcheck'] === null
      ? undefined
      : parseHealthcheck(asObject(o['Healthcheck'], 'Healthcheck'));
  const stopSignal = optString(o, 'StopSignal');
  // Go's *int: any int64 is stored as dockerd does; the stop timer caps what it waits.
  const stopTimeout = optGoInt(o, 'StopTimeout', {
    path: 'CreateRequest.Config.StopTimeout',
    type: 'int',
  });
  // Not kept (skiff has no use for them), but typed by dockerd's decoder all the same.
  optGoBool(o, 'ArgsEscaped', 'CreateRequest.Config.ArgsEscaped');
  goStrList(o, 'OnBuild', 'CreateRequest.Config.OnBuild');
  const macAddress = optString(o, 'MacAddress');
  const shell = strSlice(o, 'Shell');
  return {
    hostname: str(o, 'Hostname'),
    domainname: str(o, 'Domainname'),
    user: str(o, 'User'),
    attachStdin: bool(o, 'AttachStdin'),
    attachStdout: bool(o, 'AttachStdout'),
    attachStderr: bool(o, 'AttachStderr'),
    tty: bool(o, 'Tty'),
    openStdin: bool(o, 'OpenStdin'),
    stdinOnce: bool(o, 'StdinOnce'),
    env: checkEnv(strList(o, 'Env')),
    ...(cmd ? { cmd } : {}),
    ...(entrypoint ? { entrypoint } : {}),
    image,
    workingDir: checkWorkingDir(str(o, 'WorkingDir')),
    labels: strMap(o, 'Labels'),
    ...(stopSignal ? { stopSignal } : {}),
    ...(stopTimeout !== undefined ? { stopTimeout } : {}),
    exposedPorts: keySet(o, 'ExposedPorts').map(normalizePort),
    volumes: keySet(o, 'Volumes'),
    ...(healthcheck ? { healthcheck } : {}),
    networkDisabled: bool(o, 'NetworkDisabled'),
    ...(macAddress ? { macAddress } : {}),
    ...(shell ? { shell } : {}),
  };
}

export function parseHealthcheck(o: JsonObject): HealthcheckConfig {
  const at = (k: string, type: GoIntType = 'time.Duration'): GoField => ({
    path: `HealthConfig.Config.Healthcheck.${k}`,
    type,
  });
  const hc: HealthcheckConfig = {
    test: strSlice(o, 'Test', 'Healthcheck.Test') ?? [],
    interval: goInt(o, 'Interval', at('Interval')),
    timeout: goInt(o, 'Timeout', at('Timeout')),
    startPeriod: goInt(o, 'StartPeriod', at('StartPeriod')),
    startInterval: goInt(o, 'StartInterval', at('StartInterval')),
    retries: goInt(o, 'Retries', at('Retries', 'int')),
  };
  const ms = 1_000_000;
  if (hc.interval !== 0 && hc.interval < ms)
    throw new InvalidArgumentError('Interval in Healthcheck cannot be less than 1ms');
  if (hc.timeout !== 0 && hc.timeout < ms)
    throw new InvalidArgumentError('Timeout in Healthcheck cannot be less than 1ms');
  // dockerd 28's order (daemon/container.go validateHealthCheck).
  if (hc.retries < 0) throw new InvalidArgumentError('Retries in Healthcheck cannot be negative');
  if (hc.startPeriod !== 0 && hc.startPeriod < ms)
    throw new InvalidArgumentError('StartPeriod in Healthcheck cannot be less than 1ms');
  if (hc.startInterval !== 0 && hc.startInterval < ms)
    throw new InvalidArgumentError('StartInterval in Healthcheck cannot be less than 1ms');
  return hc;
}

function checkEnv(env: string[]): string[] {
  for (const e of env)
    if (e.startsWith('=') || e === '')
      throw new InvalidArgumentError(`invalid environment variable: ${e}`);
  return env;
}

function checkWorkingDir(dir: string): string {
  if (dir !== '' && !dir.startsWith('/'))
    throw new InvalidArgumentError(
      `the working directory '${dir}' is invalid, it needs to be an absolute path`,
    );
  return dir;
}

function parseEndpoints(o: JsonObject): Record<string, EndpointRequest> {
  const out: Record<string, EndpointRequest> = {};
  for (const [net, raw] of Object.entries(o)) {
    const e = asObject(raw, `EndpointsConfig.${net}`);
    const ipam = asObject(e['IPAMConfig'], `EndpointsConfig.${net}.IPAMConfig`);
    const v4 = optString(ipam, 'IPv4Address');
    const v6 = optString(ipam, 'IPv6Address');
    const mac = optString(e, 'MacAddress');
    out[net] = {
      aliases: strList(e, 'Aliases'),
      links: strList(e, 'Links'),
      ...(v4 ? { ipv4Address: v4 } : {}),
      ...(v6 ? { ipv6Address: v6 } : {}),
      ...(mac ? { macAddress: mac } : {}),
    };
  }
  return out;
}
