export * from './errors';
export { TEMP_PREFIX, writeFileAtomic } from './atomic';
export { DEFAULT_ROOT, resolveRoot, StoreLayout } from './layout';
export { ContentStore } from './content';
export type { BlobInfo, IngestExpectation } from './content';
export { acquireLock, withLock } from './lock';
export type { HeldLock, LockOptions } from './lock';
export { ImageIndex, canonicalRef } from './image-index';
export type { ImageEntry, ImageRecord, NewImage, UntagResult } from './image-index';
