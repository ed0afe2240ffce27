// The committed generated files must be exactly what the generator makes from the schemas.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const GENERATED = path.resolve(__dirname, '../src/generated');

test('spec/src/generated matches a fresh generation from ../shared/oci-schemas', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-gen-'));
  try {
    execFileSync(process.execPath, [path.resolve(__dirname, '../scripts/generate.js'), out]);
    const fresh = fs.readdirSync(out).sort();
    expect(fs.readdirSync(GENERATED).sort()).toEqual(fresh);
    for (const name of fresh) {
      const committed = fs.readFileSync(path.join(GENERATED, name), 'utf8');
      // toBe on whole files prints an unreadable diff; compare and name the file instead.
      expect({ name, same: committed === fs.readFileSync(path.join(out, name), 'utf8') }).toEqual({ name, same: true });
    }
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}, 120_000);
