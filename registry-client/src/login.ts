import type { Credentials } from './docker-config';
import { DockerConfig } from './docker-config';
import type { RegistryClient } from './registry';

/**
 * `berth login`: checks the credentials against the registry (through its
 * token server when it has one) and only then stores them where the docker
 * CLI would: a credential helper or config.json.
 */
export async function login(
  client: RegistryClient,
  registry: string,
  credentials: Credentials,
  config: DockerConfig = new DockerConfig(),
): Promise<void> {
  await client.checkLogin(registry, credentials);
  await config.store(registry, credentials);
}

/** `berth logout`: forgets the registry's credentials (helper and config.json). */
export async function logout(registry: string, config: DockerConfig = new DockerConfig()): Promise<void> {
  await config.erase(registry);
}
