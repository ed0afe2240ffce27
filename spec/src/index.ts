export * from './errors';
export * from './decode';
// The root type of each OCI document, by name; every other generated type is reachable
// through the namespaces (RuntimeTypes.Mount, ImageTypes.Platform, ...).
export type { Spec, State } from './generated/runtime';
export type { Features } from './generated/runtime-features';
export type { Descriptor, ImageConfig, ImageIndex, ImageLayout, ImageManifest } from './generated/image';
export type * as RuntimeTypes from './generated/runtime';
export type * as FeaturesTypes from './generated/runtime-features';
export type * as ImageTypes from './generated/image';
export * from './digest';
export * from './reference';
export * from './media-types';
export * from './platform';
export * from './docker-types';
export * from './tar';
