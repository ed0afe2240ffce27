/**
 * `berth rmi` of one name or image ID, with Docker's conflicts for images
 * that containers use (moby daemon/images/image_delete.go):
 * - the last name of an image a container uses: refused without -f
 *   ("unable to remove repository reference ... container X is using its
 *   referenced image Y"); with -f the names go but an image a running
 *   container uses stays (dangling), with its layers;
 * - an image ID: refused if a running container uses it, even with -f
 *   ("cannot be forced"); a stopped container's image needs -f.
 */
import { parseDockerRef } from '@berth/spec';
import type { ImageEntry, Store } from '@berth/store';
import { listRecords, type ContainerRecord } from '../run/record';
import { isRunning } from '../run/reap';

export interface RmiResult {
  untagged: string[];
  /** The image ID, when the image itself was removed from the index. */
  deleted?: string;
}

/** A refusal: the message is Docker's. */
export class ImageConflictError extends Error {
  readonly code = 'ERR_BERTH_IMAGE_CONFLICT';
}

const short = (digest: string): string => digest.replace(/^sha256:/, '').slice(0, 12);

function canonical(input: string): string {
  try {
    return parseDockerRef(input).toString();
  } catch {
    return input;
  }
}

/** The image's containers, running ones first. */
async function usersOf(store: Store, img: ImageEntry): Promise<{ running: ContainerRecord[]; stopped: ContainerRecord[] }> {
  const users = (await listRecords(store)).filter((r) => r.imageId === img.config);
  return { running: users.filter(isRunning), stopped: users.filter((r) => !isRunning(r)) };
}

export async function removeImage(store: Store, input: string, force: boolean): Promise<RmiResult> {
  const img = await store.images.get(input);
  if (!img) throw new Error(`No such image: ${input}`);
  const isId = /^(sha256:)?[0-9a-f]{1,64}$/.test(input) && !img.tags.includes(canonical(input));
  const users = await usersOf(store, img);
  const conflict = (message: string, hard: boolean): ImageConflictError =>
    new ImageConflictError(`conflict: unable to delete ${short(img.config)} (${hard ? 'cannot' : 'must'} be forced) - ${message}`);

  if (isId) {
    const running = users.running[0];
    if (running) throw conflict(`image is being used by running container ${short(running.id)}`, true);
    if (img.tags.length > 1 && !force) throw conflict('image is referenced in multiple repositories', false);
    const stopped = users.stopped[0];
    if (stopped && !force) throw conflict(`image is being used by stopped container ${short(stopped.id)}`, false);
    const { untagged } = await store.images.remove(img.digest);
    return { untagged, deleted: img.config };
  }

  // A name that is the image's last one takes the image with it (and its repo digests), as in Docker.
  const last = img.tags.length + img.repoDigests.length <= 1 || (img.tags.length === 1 && img.tags[0] === canonical(input));
  if (!last) return { untagged: [...(await store.images.untag(input)).untagged] };
  const user = users.running[0] ?? users.stopped[0];
  if (user && !force) {
    throw new ImageConflictError(
      `conflict: unable to remove repository reference ${JSON.stringify(input)} (must force) - container ${short(user.id)} is using its referenced image ${short(img.config)}`,
    );
  }
  if (users.running.length > 0) {
    // -f: every name goes, the image stays (dangling) while a running container uses it
    const untagged: string[] = [];
    for (const name of [...img.tags, ...img.repoDigests]) untagged.push(...(await store.images.untag(name)).untagged);
    return { untagged };
  }
  const { untagged } = await store.images.remove(img.digest);
  return { untagged, deleted: img.config };
}
