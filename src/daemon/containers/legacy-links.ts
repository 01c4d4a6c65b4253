/**
 * Docker's legacy container links (`docker run --link db:dbalias`, HostConfig.Links): the
 * linking container gets environment variables describing the linked one (its address, exposed
 * ports, name and environment) and an /etc/hosts line for it. Pure: the values dockerd computes,
 * unit-tested without containers; resolve-links.ts finds the containers they describe.
 */
import { InvalidArgumentError } from '../../errors.js';

export interface ParsedLink {
  /** The linked container's name or id, without a leading slash. */
  readonly name: string;
  /** The name the linking container knows it by. */
  readonly alias: string;
}

/**
 * `name`, `name:alias`, or the stored form `/db:/web/dbalias` that inspect shows and that
 * clients copying a HostConfig send back (the alias is then the last path element).
 */
export function parseLink(raw: string): ParsedLink {
  if (raw === '') throw new InvalidArgumentError('empty string specified for links');
  const parts = raw.split(':');
  if (parts.length > 2) throw new InvalidArgumentError(`bad format for links: ${raw}`);
  const name = (parts[0] ?? '').replace(/^\//, '');
  const second = parts[1] ?? name;
  const alias = second.slice(second.lastIndexOf('/') + 1);
  if (name === '' || alias === '') throw new InvalidArgumentError(`bad format for links: ${raw}`);
  return { name, alias };
}

/** What inspect's HostConfig.Links shows: `/<linked>:/<linking>/<alias>`. */
export function storedLink(linkedName: string, linkingName: string, alias: string): string {
  return `/${linkedName}:/${linkingName}/${alias}`;
}

export interface LinkedContainer {
  /** `/<linking>/<alias>`: the link's full name (the `_NAME` variable). */
  readonly linkName: string;
  /** The linked container's address on the default bridge. */
  readonly ip: string;
  /** Its Config.Env. */
  readonly env: readonly string[];
  /** Its Config.ExposedPorts keys: `5432/tcp`, `53/udp`. */
  readonly exposedPorts: readonly string[];
}

interface Port {
  readonly number: number;
  readonly proto: string;
}

function parsePorts(keys: readonly string[]): Port[] {
  const ports: Port[] = [];
  for (const k of keys) {
    const [num = '', proto = 'tcp'] = k.split('/');
    if (/^\d+$/.test(num)) ports.push({ number: Number(num), proto: proto.toLowerCase() });
  }
  // By number; on the same number tcp first (its port is the link's default, `<ALIAS>_PORT`).
  return ports.sort(
    (a, b) => a.number - b.number || Number(b.proto === 'tcp') - Number(a.proto === 'tcp'),
  );
}

/** The alias as a variable prefix: upper case, `-` as `_`. */
export function envPrefix(linkName: string): string {
  return linkName
    .slice(linkName.lastIndexOf('/') + 1)
    .toUpperCase()
    .replace(/-/g, '_');
}

/**
 * The variables dockerd sets in the linking container for one link, in dockerd's order:
 * `<A>_PORT` (the lowest exposed port), per port `<A>_PORT_<n>_<PROTO>` with `_ADDR`, `_PORT`,
 * `_PROTO` (a run of three or more consecutive ports of one protocol as one range with `_START`
 * and `_END` variables), `<A>_NAME`, and `<A>_ENV_<VAR>` for the linked container's environment
 * except HOME and PATH.
 */
export function linkEnv(l: LinkedContainer): string[] {
  const a = envPrefix(l.linkName);
  const ports = parsePorts(l.exposedPorts);
  const env: string[] = [];
  const first = ports[0];
  if (first) env.push(`${a}_PORT=${first.proto}://${l.ip}:${first.number}`);
  for (let i = 0; i < ports.length;) {
    const p = ports[i];
    if (!p) break;
    let j = i;
    const continues = (k: number): boolean =>
      ports[k + 1]?.proto === p.proto && ports[k + 1]?.number === (ports[k]?.number ?? NaN) + 1;
    while (continues(j)) j++;
    const key = `${a}_PORT_${p.number}_${p.proto.toUpperCase()}`;
    const last = ports[j];
    if (j >= i + 2 && last) {
      env.push(
        `${key}_START=${p.proto}://${l.ip}:${p.number}`,
        `${key}_ADDR=${l.ip}`,
        `${key}_PROTO=${p.proto}`,
        `${key}_PORT_START=${p.number}`,
        `${key}_END=${last.proto}://${l.ip}:${last.number}`,
        `${key}_PORT_END=${last.number}`,
      );
      i = j + 1;
      continue;
    }
    env.push(
      `${key}=${p.proto}://${l.ip}:${p.number}`,
      `${key}_ADDR=${l.ip}`,
      `${key}_PORT=${p.number}`,
      `${key}_PROTO=${p.proto}`,
    );
    i++;
  }
  env.push(`${a}_NAME=${l.linkName}`);
  for (const v of l.env) {
    const eq = v.indexOf('=');
    if (eq <= 0) continue;
    const name = v.slice(0, eq);
    // What every image sets says nothing about the linked container.
    if (name === 'HOME' || name === 'PATH') continue;
    env.push(`${a}_ENV_${name}=${v.slice(eq + 1)}`);
  }
  return env;
}

/**
 * The process environment with link variables: the container's own variables win over a link
 * variable of the same name (dockerd replaces those in place).
 */
export function withLinkEnv(linkVars: readonly string[], own: readonly string[]): string[] {
  const ownNames = new Set(own.map((v) => v.split('=', 1)[0]));
  return [...linkVars.filter((v) => !ownNames.has(v.split('=', 1)[0])), ...own];
}

export interface HostsEntry {
  readonly ip: string;
  /** Space-separated names. */
  readonly names: string;
}

/**
 * The linking container's /etc/hosts line for a linked one: its alias, its hostname, and its
 * name when that differs from the alias (`172.17.0.3  dbalias 0123456789ab db`).
 */
export function linkHostsEntry(
  alias: string,
  linked: { readonly name: string; readonly hostname: string },
  ip: string,
): HostsEntry {
  const names = [alias, linked.hostname, ...(alias !== linked.name ? [linked.name] : [])];
  return { ip, names: names.join(' ') };
}

/**
 * A stored link after a rename: dockerd links containers, not names, and inspect shows the
 * current names (`/db2:/web/dbalias` once db is db2; `/db:/web2/dbalias` once web is web2).
 */
export function renamedLink(raw: string, linking: string, from: string, to: string): string {
  const l = parseLink(raw);
  return storedLink(l.name === from ? to : l.name, linking, l.alias);
}

/**
 * The linking container's /etc/hosts with the linked container's new address on the line of
 * its alias (the alias is the line's first name): what dockerd does to the files of a
 * container's parents when it starts again (libnetwork's OptionParentUpdate). The rest of the
 * file, edits included, stays as it is.
 */
export function retargetHostsLine(text: string, alias: string, ip: string): string {
  return text
    .split('\n')
    .map((line) => {
      const m = /^(\S+)(\s+)(\S+)(.*)$/.exec(line);
      return m && m[3] === alias && !line.startsWith('#') ? `${ip}${m[2]}${m[3]}${m[4]}` : line;
    })
    .join('\n');
}
