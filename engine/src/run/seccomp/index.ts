/**
 * The seccomp section of a `berth run` container: Docker's default profile
 * unless `--security-opt seccomp=unconfined` or `seccomp=FILE` (a profile in
 * Docker's JSON format), resolved for the container's capabilities.
 */
import { readFileSync } from 'node:fs';
import type { RuntimeTypes } from '@berth/spec';
import { parseSeccompProfile, resolveSeccompProfile, SeccompProfileError, type DockerSeccompProfile } from './profile';

export { parseSeccompProfile, resolveSeccompProfile, SeccompProfileError, hostNativeArch } from './profile';
export type { DockerSeccompProfile, DockerSeccompSyscall, ResolveOptions } from './profile';

/** What `--security-opt seccomp=...` asked for: the default profile, none, or a file. */
export type SeccompChoice = { kind: 'default' } | { kind: 'unconfined' } | { kind: 'file'; path: string };

export function defaultProfile(): DockerSeccompProfile {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the profile loads only when a container starts
  return (require('./docker-default') as typeof import('./docker-default')).DOCKER_DEFAULT_PROFILE;
}

/** The OCI seccomp section for the choice, or undefined for none. */
export function seccompFor(choice: SeccompChoice, caps: readonly string[]): RuntimeTypes.Seccomp | undefined {
  switch (choice.kind) {
    case 'unconfined':
      return undefined;
    case 'default':
      return resolveSeccompProfile(defaultProfile(), 'default', { caps });
    case 'file': {
      let text: string;
      try {
        text = readFileSync(choice.path, 'utf8');
      } catch (err) {
        throw new SeccompProfileError(choice.path, `opening failed: ${(err as Error).message}`);
      }
      return resolveSeccompProfile(parseSeccompProfile(text, choice.path), choice.path, { caps });
    }
  }
}
