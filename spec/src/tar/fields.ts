/**
 * The byte-level pieces of a tar header: NUL-terminated strings, octal and
 * GNU base-256 numbers, the checksum, and PAX records (kept as bytes).
 */
export const BLOCK = 512;

/** A header field or record that cannot be decoded; the reader adds the archive, entry and offset. */
export class Malformed extends Error {}

export function cstring(b: Buffer, start: number, len: number): string {
  // bytes scanned in place: no views allocated (several fields of every header of a layer)
  const end = Math.min(start + len, b.length);
  let nul = start;
  while (nul < end && b[nul] !== 0) nul++;
  return nul <= start ? '' : b.toString('utf8', start, nul);
}

/** An octal field, or GNU base-256 (top bit set; 0xff first means negative), as GNU tar and Go read them. */
export function decodeNumber(b: Buffer, start: number, len: number, what: string): number {
  if (b[start] & 0x80) {
    const field = b.subarray(start, start + len);
    let value = BigInt(field[0] & 0x7f);
    for (let i = 1; i < field.length; i++) value = (value << 8n) | BigInt(field[i]);
    if (field[0] === 0xff) value -= 1n << BigInt(8 * field.length - 1);
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < -BigInt(Number.MAX_SAFE_INTEGER)) throw new Malformed(`${what} is too large`);
    return Number(value);
  }
  const fast = octalInPlace(b, start, Math.min(start + len, b.length));
  if (fast !== undefined) return fast;
  const text = b.subarray(start, start + len).toString('latin1').replace(/[\0 ]+$/, '').replace(/^ +/, '');
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new Malformed(`${what} is not an octal number: ${JSON.stringify(text)}`);
  return parseInt(text, 8);
}

/**
 * The usual octal field (spaces, octal digits, then NULs or spaces) read
 * without making strings; undefined for anything else, which the general
 * path decodes or rejects with its message.
 */
function octalInPlace(b: Buffer, start: number, end: number): number | undefined {
  while (end > start && (b[end - 1] === 0 || b[end - 1] === 0x20)) end--;
  let i = start;
  while (i < end && b[i] === 0x20) i++;
  let value = 0;
  for (; i < end; i++) {
    const digit = b[i] - 0x30;
    if (digit < 0 || digit > 7) return undefined;
    value = value * 8 + digit;
  }
  return value;
}

/** Writes value in octal when it fits, else GNU base-256 when allowed, else false. */
export function encodeNumber(b: Buffer, start: number, len: number, value: number, base256 = false): boolean {
  if (Number.isSafeInteger(value) && value >= 0 && value.toString(8).length <= len - 1) {
    b.write(`${value.toString(8).padStart(len - 1, '0')}\0`, start, len, 'latin1');
    return true;
  }
  if (base256 && Number.isSafeInteger(value) && value >= 0) {
    let v = BigInt(value);
    for (let i = start + len - 1; i > start; i--) {
      b[i] = Number(v & 0xffn);
      v >>= 8n;
    }
    b[start] = 0x80;
    return true;
  }
  b.write(`${'0'.repeat(len - 1)}\0`, start, len, 'latin1'); // the real value goes in a PAX record
  return false;
}

/** The stored checksum matches the block (unsigned, or signed as old Sun tar computed it). */
export function checksumOk(b: Buffer): boolean {
  const stored = decodeNumber(b, 148, 8, 'checksum');
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : b[i];
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  return stored === unsigned || stored === signed;
}

export function writeChecksum(b: Buffer): void {
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of b) sum += byte;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
}

/** PAX records `<len> <key>=<value>\n`, values as bytes (xattr values are binary). */
export function parsePax(data: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let pos = 0;
  while (pos < data.length) {
    if (data[pos] === 0) break; // NUL padding after the last record, as some writers leave
    const space = data.indexOf(0x20, pos);
    const digits = space === -1 ? '' : data.subarray(pos, space).toString('latin1');
    if (!/^[1-9][0-9]{0,8}$/.test(digits)) throw new Malformed(`malformed PAX record at offset ${pos} (bad length)`);
    const len = Number(digits);
    if (pos + len > data.length || len <= digits.length + 1 || data[pos + len - 1] !== 0x0a) {
      throw new Malformed(`malformed PAX record at offset ${pos} (length ${len} does not end at a newline)`);
    }
    const record = data.subarray(space + 1, pos + len - 1);
    const eq = record.indexOf(0x3d);
    if (eq <= 0) throw new Malformed(`malformed PAX record at offset ${pos} (no key=value)`);
    out.set(record.subarray(0, eq).toString('utf8'), Buffer.from(record.subarray(eq + 1)));
    pos += len;
  }
  return out;
}

export function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

export function padding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}
