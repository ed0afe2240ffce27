export * from './dump';
export * from './errors';
export * from './node';
export { parse, MAX_LINE_BYTES, type ParseOptions } from './parse';
export { chompHeredocContent, parseHeredocWord } from './heredoc';
