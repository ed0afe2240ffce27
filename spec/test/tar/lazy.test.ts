import * as spec from '../../src';

// Importing @berth/spec must not load the tar implementation (the runtime imports spec on every
// start); it loads on the first call. Mocks that throw on load prove which modules were required.
jest.mock('../../src/tar/reader', () => {
  throw new Error('tar reader loaded');
});
jest.mock('../../src/tar/writer', () => {
  throw new Error('tar writer loaded');
});

test('the tar reader and writer load on first use, not on import', () => {
  expect(typeof spec.readTar).toBe('function');
  expect(() => spec.tarTrailer()).toThrow('tar writer loaded');
  expect(() => spec.readTar((async function* () {})(), 'x')).toThrow('tar reader loaded');
});
