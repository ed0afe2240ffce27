import { OCI_VERSION } from '../state';

/** The container part of the seccomp state: what `state` would report at that moment. */
export interface SeccompContainerState {
  id: string;
  status: 'creating' | 'created' | 'running';
  bundle: string;
  annotations?: Record<string, unknown>;
}

/** Stands for the process's host pid until berth-init, which learns it, sends the state. */
export const PID_PLACEHOLDER = '@PID@';

/**
 * The runtime-spec "container process state" sent with the listener fd to
 * listenerPath: the fd's name, the pid (as the runtime sees it), the
 * config's listenerMetadata and the container's state.
 */
export function seccompState(container: SeccompContainerState, metadata: string | undefined): string {
  const state: Record<string, unknown> = {
    ociVersion: OCI_VERSION,
    id: container.id,
    status: container.status,
    pid: PID_PLACEHOLDER,
    bundle: container.bundle,
  };
  if (container.annotations && Object.keys(container.annotations).length) state.annotations = container.annotations;
  return JSON.stringify({ ociVersion: OCI_VERSION, fds: ['seccompFd'], pid: PID_PLACEHOLDER, metadata: metadata ?? '', state });
}
