/**
 * Registry credentials as Docker clients send them: `X-Registry-Auth` is base64url JSON of
 * {username, password, serveraddress, identitytoken, registrytoken} (the CLI's AuthConfig).
 */
export interface Credentials {
  readonly username?: string;
  readonly password?: string;
  readonly identityToken?: string;
  readonly registryToken?: string;
  readonly serverAddress?: string;
}

export function decodeRegistryAuth(header: string | undefined): Credentials | undefined {
  if (!header || header.trim() === '') return undefined;
  let text: string;
  try {
    text = Buffer.from(header.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
  } catch {
    return undefined;
  }
  return parseAuthConfig(text);
}

export function parseAuthConfig(text: string): Credentials | undefined {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof o !== 'object' || o === null) return undefined;
  const r = o as Record<string, unknown>;
  const s = (k: string): string | undefined =>
    typeof r[k] === 'string' && r[k] !== '' ? r[k] : undefined;
  const c: Credentials = {
    ...(s('username') ? { username: s('username') } : {}),
    ...(s('password') ? { password: s('password') } : {}),
    ...(s('identitytoken') ? { identityToken: s('identitytoken') } : {}),
    ...(s('registrytoken') ? { registryToken: s('registrytoken') } : {}),
    ...(s('serveraddress') ? { serverAddress: s('serveraddress') } : {}),
  };
  return Object.keys(c).length > 0 ? c : undefined;
}

/**
 * The registry domain a server address names, as the CLI writes addresses (`docker login`,
 * X-Registry-Config keys): scheme and path dropped, Docker Hub's spellings made `docker.io`.
 */
export function registryDomain(address: string): string {
  const host = address.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  return host === 'index.docker.io' || host === 'registry-1.docker.io' ? 'docker.io' : host;
}
