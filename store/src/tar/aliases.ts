// The tar writer's helpers under the names the store's index has always exported them by. A
// module of their own so that the index only re-exports names as they are (scripts/bundle.js
// --lazy turns such an index into getters; it cannot follow a renamed re-export).
export { padding as tarPadding, trailer as tarTrailer } from './writer';
