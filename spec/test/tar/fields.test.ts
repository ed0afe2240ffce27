// The header field decoders read bytes in place; they must agree with the
// string-based definitions they replaced, on every kind of field.
import { Malformed, cstring, decodeNumber } from '../../src/tar/fields';

/** The definition: latin1 text, trailing NULs and spaces then leading spaces dropped, octal digits only. */
function reference(field: Buffer, what: string): number {
  const text = field.toString('latin1').replace(/[\0 ]+$/, '').replace(/^ +/, '');
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new Malformed(`${what} is not an octal number: ${JSON.stringify(text)}`);
  return parseInt(text, 8);
}

function outcome(fn: () => number | string): unknown {
  try {
    return fn();
  } catch (err) {
    return `${(err as Error).constructor.name}: ${(err as Error).message}`;
  }
}

/** A seeded generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    return x / 0x80000000;
  };
}

test('octal fields decode as the string definition does, errors included', () => {
  const fixed = [
    '0000644\0',
    '0000644 ',
    ' 644 \0\0',
    '   \0\0\0\0\0',
    '\0\0\0\0\0\0\0\0',
    '        ',
    '011067\0 ',
    '6\0 4\0\0\0\0',
    '64 4\0\0\0\0',
    '0009\0\0\0\0',
    '+1\0\0\0\0\0\0',
    '77777777777\0',
    '\x00644\0\0\0\0',
  ];
  const alphabet = ['0', '1', '7', '8', ' ', '\0', 'x', '-'];
  const next = random(42);
  const generated = Array.from({ length: 5000 }, () =>
    Array.from({ length: 1 + Math.floor(next() * 12) }, () => alphabet[Math.floor(next() * alphabet.length)]).join(''),
  );
  for (const text of [...fixed, ...generated]) {
    const block = Buffer.concat([Buffer.from('ab'), Buffer.from(text, 'latin1'), Buffer.from('7z')]);
    const field = block.subarray(2, 2 + text.length);
    expect([text, outcome(() => decodeNumber(block, 2, text.length, 'size field'))]).toEqual([text, outcome(() => reference(field, 'size field'))]);
  }
});

test('a field that runs past the end of the buffer is read up to its end', () => {
  const block = Buffer.from('xx0644', 'latin1');
  expect(decodeNumber(block, 2, 8, 'mode field')).toBe(0o644);
  expect(decodeNumber(block, 6, 8, 'mode field')).toBe(0);
  expect(cstring(block, 2, 100)).toBe('0644');
});

test('strings end at the first NUL or the field end, as utf8', () => {
  const block = Buffer.concat([Buffer.from('héllo\0junk', 'utf8'), Buffer.from('next')]);
  expect(cstring(block, 0, 100)).toBe('héllo');
  expect(cstring(block, 0, 3)).toBe('hé');
  expect(cstring(block, 6, 0)).toBe('');
  expect(cstring(Buffer.from('\0abc'), 0, 4)).toBe('');
  expect(cstring(block, 7, 8)).toBe('junknext'.slice(0, 8));
});
