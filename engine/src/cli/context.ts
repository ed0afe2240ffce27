import type { BaseContext } from 'clipanion';
import type { RegistryClient } from '@berth/registry-client';
import type { Store } from '@berth/store';

/** What every command gets besides stdio: the global options, resolved once. */
export interface BerthContext extends BaseContext {
  /** `--root DIR` if given; else the store falls back to BERTH_ROOT, then /var/lib/berth. */
  root: string | undefined;
}

/* eslint-disable @typescript-eslint/no-require-imports --
 * The store and registry modules load on first use, so `berth --help` stays fast, and
 * with require(): under Node16 + CommonJS a dynamic import() goes through the ESM
 * loader, which lexes each module (and each one it re-exports) for its export names. */

/** The store under the chosen root. */
export async function openStore(ctx: Pick<BerthContext, 'root'>): Promise<Store> {
  const { Store: StoreClass } = require('@berth/store') as typeof import('@berth/store');
  const { mkdirSync } = require('node:fs') as typeof import('node:fs');
  const store = new StoreClass({ root: ctx.root });
  // A fresh root (first use, or a test's temp dir) is created as dockerd creates its data root
  // (synchronously: one syscall, not a thread-pool round trip, before every command's work).
  mkdirSync(store.root, { recursive: true, mode: 0o711 });
  return store;
}

/** CA files Node did not load at start-up (see bin/berth.js), trusted by every registry client. */
const deferredCaFiles: string[] = [];

/** Trusts the certificates in `file` (NODE_EXTRA_CA_CERTS that the bin kept from Node) for registries. */
export function deferExtraCaCerts(file: string): void {
  deferredCaFiles.push(file);
}

/**
 * A registry client with the user's credentials (`$DOCKER_CONFIG/config.json`
 * or ~/.docker/config.json), docker.io mirrors and insecure registries from
 * berth's settings (`BERTH_REGISTRY_MIRRORS`, `BERTH_CONFIG`).
 */
export async function openRegistry(env: NodeJS.ProcessEnv = process.env): Promise<RegistryClient> {
  const { RegistryClient: Client, DockerConfig } = require('@berth/registry-client') as typeof import('@berth/registry-client');
  const { loadSettings } = require('../config') as typeof import('../config');
  const settings = loadSettings(env);
  return new Client({
    credentials: new DockerConfig({ env }),
    mirrors: settings.registryMirrors,
    insecureRegistries: settings.insecureRegistries,
    caFiles: deferredCaFiles.length ? [...deferredCaFiles] : undefined,
  });
}
/* eslint-enable @typescript-eslint/no-require-imports */
