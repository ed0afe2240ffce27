/**
 * Images as Docker shows them: the rows of `docker images`, the JSON of
 * `docker image inspect`, the rows of `docker history`. Data comes from the
 * store's index, manifests, configs and snapshots.
 */
import { parseReference, type Digest, type ImageConfig } from '@berth/spec';
import { chainIds, type ImageEntry, type Store } from '@berth/store';

/** `busybox:latest` for `docker.io/library/busybox:latest`, as Docker prints names. */
export function familiar(ref: string): string {
  return parseReference(ref).familiarString;
}

export interface ImageDetails {
  entry: ImageEntry;
  config: ImageConfig;
  /** Bytes of the unpacked layers (compressed sizes where a layer is not unpacked). */
  size: number;
  /** Per layer, base first: its unpacked size. */
  layerSizes: number[];
}

export async function imageDetails(store: Store, entry: ImageEntry): Promise<ImageDetails> {
  const config = await store.config(entry.config);
  const manifest = await store.manifest(entry.digest);
  const chain = chainIds(config.rootfs.diff_ids);
  const layerSizes: number[] = [];
  for (const [i, id] of chain.entries()) {
    const snap = await store.snapshots.get(id);
    layerSizes.push(snap ? snap.size : (manifest.layers[i]?.size ?? 0));
  }
  return { entry, config, size: layerSizes.reduce((a, b) => a + b, 0), layerSizes };
}

/** The image ID (config digest), 12 hex digits unless full. */
export function imageId(digest: string, full: boolean): string {
  return full ? digest : digest.slice(digest.indexOf(':') + 1, digest.indexOf(':') + 13);
}

/** Docker's container config keys, in its order, with its empty values. */
function dockerConfig(c: ImageConfig['config']): Record<string, unknown> {
  return {
    Hostname: '',
    Domainname: '',
    User: c?.User ?? '',
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    ...(c?.ExposedPorts ? { ExposedPorts: c.ExposedPorts } : {}),
    Tty: false,
    OpenStdin: false,
    StdinOnce: false,
    Env: c?.Env ?? null,
    Cmd: c?.Cmd ?? null,
    ...(c?.Healthcheck ? { Healthcheck: c.Healthcheck } : {}),
    Image: '',
    Volumes: c?.Volumes ?? null,
    WorkingDir: c?.WorkingDir ?? '',
    Entrypoint: c?.Entrypoint ?? null,
    OnBuild: null,
    Labels: c?.Labels ?? null,
    ...(c?.StopSignal ? { StopSignal: c.StopSignal } : {}),
  };
}

/** One element of `docker image inspect`'s array. */
export function inspectJson(d: ImageDetails, snapshotsDir: (chain: Digest) => string): Record<string, unknown> {
  const { entry, config } = d;
  const chain = chainIds(config.rootfs.diff_ids);
  const upper = chain.at(-1);
  return {
    Id: entry.config,
    RepoTags: entry.tags.map(familiar),
    RepoDigests: entry.repoDigests.map(familiar),
    Parent: '',
    Comment: config.history?.at(-1)?.comment ?? '',
    Created: config.created ?? '0001-01-01T00:00:00Z',
    DockerVersion: '',
    Author: config.author ?? '',
    Config: dockerConfig(config.config),
    Architecture: config.architecture,
    ...(config.variant ? { Variant: config.variant } : {}),
    Os: config.os,
    ...(config['os.version'] ? { OsVersion: config['os.version'] } : {}),
    Size: d.size,
    GraphDriver: {
      Data: upper
        ? {
            ...(chain.length > 1 ? { LowerDir: chain.slice(0, -1).reverse().map(snapshotsDir).join(':') } : {}),
            UpperDir: snapshotsDir(upper),
          }
        : {},
      Name: 'overlay',
    },
    RootFS: { Type: 'layers', Layers: config.rootfs.diff_ids },
    Metadata: { LastTagTime: '0001-01-01T00:00:00Z' },
    Descriptor: { mediaType: entry.mediaType, digest: entry.digest, size: entry.size },
  };
}

export interface HistoryRow {
  ID: string;
  CreatedSince: string;
  CreatedAt: string;
  CreatedBy: string;
  Size: number;
  Comment: string;
}

/** `docker history` rows, newest first: the image ID on the top row, `<missing>` below. */
export function historyRows(d: ImageDetails): Omit<HistoryRow, 'CreatedSince'>[] {
  const history = d.config.history ?? d.config.rootfs.diff_ids.map(() => ({}) as NonNullable<ImageConfig['history']>[number]);
  let layer = 0;
  const rows = history.map((h) => ({
    ID: '<missing>',
    CreatedAt: h.created ?? '',
    CreatedBy: h.created_by ?? '',
    Size: h.empty_layer ? 0 : (d.layerSizes[layer++] ?? 0),
    Comment: h.comment ?? '',
  }));
  rows.reverse();
  if (rows.length) rows[0].ID = d.entry.config;
  return rows;
}
