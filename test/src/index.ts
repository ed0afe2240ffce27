export * from './errors';
export * from './tar';
export * from './rootfs';
export * from './image';
export * from './oci-layout';
export * from './docker-save';
