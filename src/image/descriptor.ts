/** OCI content descriptors, manifests and indexes, parsed from `unknown` (STYLE R7). */
import { InvalidArgumentError } from '../errors.js';
import { isIndex, isManifest, MT } from './media-types.js';

export interface Platform {
  readonly architecture: string;
  readonly os: string;
  readonly variant?: string;
}

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly platform?: Platform;
  readonly urls?: readonly string[];
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface ImageManifest {
  readonly kind: 'manifest';
  readonly mediaType: string;
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
}

export interface ImageIndex {
  readonly kind: 'index';
  readonly mediaType: string;
  readonly manifests: readonly Descriptor[];
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;

export function parseDescriptor(v: unknown, where: string): Descriptor {
  if (typeof v !== 'object' || v === null)
    throw new InvalidArgumentError(`${where}: not a descriptor`);
  const o = v as Record<string, unknown>;
  const digest = o['digest'];
  const size = o['size'];
  const mediaType = typeof o['mediaType'] === 'string' ? o['mediaType'] : '';
  if (typeof digest !== 'string' || !DIGEST.test(digest))
    throw new InvalidArgumentError(`${where}: invalid digest ${String(digest)}`);
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 0)
    throw new InvalidArgumentError(`${where}: invalid size`);
  const p = o['platform'];
  let platform: Platform | undefined;
  if (typeof p === 'object' && p !== null) {
    const pp = p as Record<string, unknown>;
    if (typeof pp['architecture'] === 'string' && typeof pp['os'] === 'string')
      platform = {
        architecture: pp['architecture'],
        os: pp['os'],
        ...(typeof pp['variant'] === 'string' ? { variant: pp['variant'] } : {}),
      };
  }
  const urls = Array.isArray(o['urls'])
    ? o['urls'].filter((u): u is string => typeof u === 'string')
    : undefined;
  return { mediaType, digest, size, ...(platform ? { platform } : {}), ...(urls ? { urls } : {}) };
}

/** A manifest or an index, by its mediaType (or by shape when the field is missing). */
export function parseManifestOrIndex(
  bytes: Buffer,
  contentType?: string,
): ImageManifest | ImageIndex {
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new InvalidArgumentError('manifest is not valid JSON');
  }
  if (typeof raw !== 'object' || raw === null)
    throw new InvalidArgumentError('manifest is not an object');
  const o = raw as Record<string, unknown>;
  if (o['schemaVersion'] === 1)
    throw new InvalidArgumentError(
      'Docker Image manifest schema 1 is not supported (deprecated since Docker 1.10); push the image again with a current client',
    );
  const mt =
    typeof o['mediaType'] === 'string'
      ? o['mediaType']
      : (contentType?.split(';')[0]?.trim() ?? '');
  if (isIndex(mt) || (!mt && Array.isArray(o['manifests']))) {
    const list = Array.isArray(o['manifests']) ? o['manifests'] : [];
    return {
      kind: 'index',
      mediaType: mt || MT.ociIndex,
      manifests: list.map((d, i) => parseDescriptor(d, `manifests[${i}]`)),
    };
  }
  if (isManifest(mt) || (!mt && o['config'] !== undefined)) {
    const layers = Array.isArray(o['layers']) ? o['layers'] : [];
    return {
      kind: 'manifest',
      mediaType: mt || MT.ociManifest,
      config: parseDescriptor(o['config'], 'config'),
      layers: layers.map((d, i) => parseDescriptor(d, `layers[${i}]`)),
    };
  }
  throw new InvalidArgumentError(`unsupported manifest media type "${mt}"`);
}
