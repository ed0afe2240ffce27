// The runtime-spec's own good/bad example documents, decoded through the generated validators.
import fs from 'node:fs';
import path from 'node:path';
import { runtimeConfig, runtimeFeatures, runtimeState, ValidationError, type Decoder } from '@berth/spec';

const TESTS = path.resolve(__dirname, '../../../shared/oci-schemas/runtime-spec-v1.3.0/test');
const decoders: Record<string, Decoder<unknown>> = {
  config: runtimeConfig,
  features: runtimeFeatures,
  state: runtimeState,
};

const cases = (kind: string, verdict: 'good' | 'bad') =>
  fs.readdirSync(path.join(TESTS, kind, verdict)).map((name) => [name, path.join(TESTS, kind, verdict, name)]);

describe.each(Object.keys(decoders))('runtime-spec %s examples', (kind) => {
  const decoder = decoders[kind];

  test.each(cases(kind, 'good'))('good/%s decodes', (_name, file) => {
    const text = fs.readFileSync(file, 'utf8');
    expect(decoder.parse(text, file)).toEqual(JSON.parse(text));
  });

  const bad = cases(kind, 'bad');
  if (bad.length > 0) {
    test.each(bad)('bad/%s is refused with a message naming the file', (name, file) => {
      expect(() => decoder.parse(fs.readFileSync(file), name)).toThrow(ValidationError);
      expect(() => decoder.parse(fs.readFileSync(file), name)).toThrow(name);
    });
  }
});

test('every example directory was found (a moved corpus must not pass silently)', () => {
  const counts = ['config', 'features', 'state'].map((k) => cases(k, 'good').length + cases(k, 'bad').length);
  expect(counts.every((n) => n > 0)).toBe(true);
});
