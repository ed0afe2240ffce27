/** Layer tars are written with @berth/spec's tar writer; these names are the store's. */
export { encodeTarHeader as encodeHeader, tarPadding as padding, tarTrailer as trailer } from '@berth/spec';
export type { WriteHeader } from '@berth/spec';
