/** A local volume as skiff keeps it: `<dataRoot>/volumes/<name>/{_data, volume.json}`. */
export interface VolumeRecord {
  readonly name: string;
  readonly driver: 'local';
  readonly createdAt: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly options: Readonly<Record<string, string>>;
  /** Created for a container without a name (image VOLUME, `-v /path`): pruned by default. */
  readonly anonymous: boolean;
}

export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';
