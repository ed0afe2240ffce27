import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadSettings } from '../src/config';
import { rmrf, tempDir } from './helpers';

let dir: string;
beforeEach(() => {
  dir = tempDir('berth-engine-config-');
});
afterEach(() => rmrf(dir));

describe('berth settings', () => {
  it("reads daemon.json's registry-mirrors and insecure-registries from BERTH_CONFIG; BERTH_REGISTRY_MIRRORS wins for mirrors", () => {
    const file = path.join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ 'registry-mirrors': ['https://m1.example', 'http://m2:5000'], 'insecure-registries': ['reg.lan:5000'] }));
    expect(loadSettings({ BERTH_CONFIG: file })).toEqual({
      registryMirrors: ['https://m1.example', 'http://m2:5000'],
      insecureRegistries: ['reg.lan:5000'],
    });
    expect(loadSettings({ BERTH_CONFIG: file, BERTH_REGISTRY_MIRRORS: ' http://a , http://b ' })).toEqual({
      registryMirrors: ['http://a', 'http://b'],
      insecureRegistries: ['reg.lan:5000'],
    });
  });

  it('errors name the file and the key; a named file must exist', () => {
    const file = path.join(dir, 'config.json');
    writeFileSync(file, '{"registry-mirrors": "not a list"}');
    expect(() => loadSettings({ BERTH_CONFIG: file })).toThrow(`${file}: "registry-mirrors" must be an array of strings`);
    writeFileSync(file, '{nope');
    expect(() => loadSettings({ BERTH_CONFIG: file })).toThrow(`${file} is not valid JSON`);
    expect(() => loadSettings({ BERTH_CONFIG: path.join(dir, 'missing.json') })).toThrow(/cannot read .*missing\.json/);
  });
});
