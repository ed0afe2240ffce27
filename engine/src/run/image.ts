/**
 * The image of `berth run`: from the store, or pulled first as `docker run`
 * does ("Unable to find image ... locally", then the pull's lines, all on
 * stderr so the container's stdout stays its own).
 */
import type { Writable } from 'node:stream';
import type { ImageEntry, Store } from '@berth/store';
import { RunError } from './errors';

export async function findOrPullImage(store: Store, input: string, stderr: Writable, platform?: string): Promise<ImageEntry> {
  const found = await store.images.get(input);
  if (found) return found;
  /* eslint-disable @typescript-eslint/no-require-imports -- the pull modules load only when the image is missing */
  const { parseDockerRef } = require('@berth/spec') as typeof import('@berth/spec');
  let ref;
  try {
    ref = parseDockerRef(input);
  } catch (err) {
    throw new RunError('ERR_BERTH_RUN_IMAGE', `invalid reference format: ${(err as Error).message}`);
  }
  stderr.write(`Unable to find image '${ref.familiarString}' locally\n`);
  const { openRegistry } = require('../cli/context') as typeof import('../cli/context');
  const { pullIntoStore } = require('../images/pull') as typeof import('../images/pull');
  const { PullProgress } = require('../cli/pull-progress') as typeof import('../cli/pull-progress');
  /* eslint-enable @typescript-eslint/no-require-imports */
  stderr.write(`${ref.tag ?? ref.digest}: Pulling from ${ref.path}\n`);
  const client = await openRegistry();
  const progress = new PullProgress(stderr, Boolean((stderr as NodeJS.WriteStream).isTTY));
  try {
    const result = await pullIntoStore(store, client, ref, { platform, listener: progress });
    progress.finish(result.updated);
    stderr.write(`Digest: ${result.digest}\n`);
    stderr.write(`Status: Downloaded newer image for ${ref.familiarString}\n`);
  } catch (err) {
    throw new RunError('ERR_BERTH_RUN_PULL', (err as Error).message);
  } finally {
    await client.close();
  }
  const pulled = await store.images.get(ref.toString());
  if (!pulled) throw new RunError('ERR_BERTH_RUN_PULL', `image ${ref.familiarString} is not in the store after the pull`);
  return pulled;
}
