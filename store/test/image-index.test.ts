import { writeFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { digestOf, type Digest } from '@berth/spec';
import { ImageIndex, NotFoundError, StoreLayout, type NewImage } from '@berth/store';
import { useTempDir } from './helpers/tmp';

const tmp = useTempDir();
const index = (): ImageIndex => new ImageIndex(new StoreLayout(tmp.dir));

function image(name: string): NewImage & { digest: Digest } {
  return {
    digest: digestOf(`manifest ${name}`),
    config: digestOf(`config ${name}`),
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    size: 100,
  };
}

describe('image index', () => {
  test('maps name:tag and name@digest to manifest digests, normalising Docker names', async () => {
    const a = image('a');
    await index().add(a, ['busybox', `busybox@${a.digest}`]);
    for (const ref of ['busybox', 'busybox:latest', 'docker.io/library/busybox:latest', `busybox@${a.digest}`]) {
      expect((await index().get(ref))?.digest).toBe(a.digest);
    }
    const entry = await index().require('busybox');
    expect(entry.tags).toEqual(['docker.io/library/busybox:latest']);
    expect(entry.repoDigests).toEqual([`docker.io/library/busybox@${a.digest}`]);
    expect(await index().get('busybox:1.36')).toBeUndefined();
    expect(await index().get(`alpine@${a.digest}`)).toBeUndefined();
    // the index is written with owner-only permissions
    expect(statSync(path.join(tmp.dir, 'images.json')).mode & 0o777).toBe(0o600);
  });

  test('a repo digest recorded on another image (a multi-platform index digest) finds it and untags', async () => {
    const a = image('a');
    const indexDigest = digestOf('index a');
    await index().add(a, ['busybox']);
    await index().update((file) => {
      const img = file.images[a.digest];
      file.images[a.digest] = { ...img, repoDigests: [...img.repoDigests, `docker.io/library/busybox@${indexDigest}`] };
    });
    expect((await index().get(`busybox@${indexDigest}`))?.digest).toBe(a.digest);
    expect(await index().get(`alpine@${indexDigest}`)).toBeUndefined();
    expect(await index().untag(`busybox@${indexDigest}`)).toEqual({ untagged: [`docker.io/library/busybox@${indexDigest}`] });
    expect(await index().get(`busybox@${indexDigest}`)).toBeUndefined();
    expect((await index().get('busybox'))?.digest).toBe(a.digest);
  });

  test('several tags per image; image ID prefixes of the config digest', async () => {
    const a = image('a');
    await index().add(a, ['busybox:1']);
    await index().tag('busybox:1', 'localhost:5000/bb:v2');
    const entry = await index().require(a.config.slice(7, 19));
    expect(entry.tags).toEqual(['docker.io/library/busybox:1', 'localhost:5000/bb:v2']);
    await expect(index().tag('nope', 'x')).rejects.toBeInstanceOf(NotFoundError);
  });

  test('re-tagging leaves the previous image dangling', async () => {
    const a = image('a');
    const b = image('b');
    await index().add(a, ['app:latest']);
    await index().add(b, ['app:latest']);
    expect((await index().require('app')).digest).toBe(b.digest);
    const dangling = await index().dangling();
    expect(dangling.map((d) => d.digest)).toEqual([a.digest]);
    expect(dangling[0].tags).toEqual([]);
  });

  test('untag removes one reference; with prune the untagged image leaves the index', async () => {
    const a = image('a');
    await index().add(a, ['app:1', 'app:2']);
    expect(await index().untag('app:1', { prune: true })).toEqual({ untagged: ['docker.io/library/app:1'] });
    expect(await index().untag('app:2', { prune: true })).toEqual({ untagged: ['docker.io/library/app:2'], deleted: a.digest });
    expect(await index().list()).toEqual([]);
    await expect(index().untag('app:2')).rejects.toBeInstanceOf(NotFoundError);
  });

  test('concurrent updates from one process are all kept', async () => {
    const imgs = Array.from({ length: 12 }, (_, i) => image(String(i)));
    await Promise.all(imgs.map((img, i) => index().add(img, [`app:${i}`])));
    expect((await index().list()).length).toBe(12);
  });

  test('a corrupt index file is reported by name', async () => {
    writeFileSync(path.join(tmp.dir, 'images.json'), '{"schemaVersion":1,');
    await expect(index().list()).rejects.toThrow(/images\.json is corrupt/);
  });

  test('a digest reference must match the image', async () => {
    const a = image('a');
    const b = image('b');
    await expect(index().add(a, [`app@${b.digest}`])).rejects.toThrow(/does not match/);
  });
});
