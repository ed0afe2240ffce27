import { deviceFilter, containerDeviceRules, DeviceEmulator, DeviceRule, DEFAULT_ALLOWED_DEVICES } from '../../src/cgroups';

/*
 * The v2 device filter: the generated BPF_PROG_TYPE_CGROUP_DEVICE program is
 * decoded from its bytes and run by a small eBPF interpreter, and its layout
 * is compared with the programs runc's devicefilter tests expect.
 */

const ACC = { m: 1, r: 2, w: 4 } as const;
const DEV = { b: 1, c: 2 } as const;

/** Decodes struct bpf_insn records and runs them on a bpf_cgroup_dev_ctx. Supports what a device filter uses. */
function run(bytes: Uint8Array, type: 'b' | 'c', major: number, minor: number, access: string): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ctx = new DataView(new ArrayBuffer(12));
  const accBits = [...access].reduce((a, c) => a | ACC[c as keyof typeof ACC], 0);
  ctx.setUint32(0, (accBits << 16) | DEV[type], true);
  ctx.setUint32(4, major, true);
  ctx.setUint32(8, minor, true);
  const r = new Array<bigint>(11).fill(0n);
  const u32 = (v: bigint) => v & 0xffffffffn;
  const CTX = -1n; // r1 holds the context pointer
  r[1] = CTX;
  let pc = 0;
  for (let steps = 0; steps < 4096; steps++) {
    if (pc < 0 || pc * 8 >= bytes.length) throw new Error(`pc ${pc} out of the program`);
    const op = view.getUint8(pc * 8);
    const regs = view.getUint8(pc * 8 + 1);
    const dst = regs & 0xf;
    const src = regs >> 4;
    const off = view.getInt16(pc * 8 + 2, true);
    const imm = BigInt(view.getInt32(pc * 8 + 4, true));
    pc++;
    switch (op) {
      case 0x61: // ldxw dst, [src+off]
        if (r[src] !== CTX || off < 0 || off > 8 || off % 4 !== 0) throw new Error(`bad load from r${src}+${off}`);
        r[dst] = BigInt(ctx.getUint32(off, true));
        break;
      case 0x54: r[dst] = u32(r[dst]! & u32(imm)); break; // and32 imm
      case 0x74: r[dst] = u32(r[dst]!) >> imm; break; // rsh32 imm
      case 0xb4: r[dst] = u32(imm); break; // mov32 imm
      case 0xbc: r[dst] = u32(r[src]!); break; // mov32 reg
      case 0x55: if (r[dst] !== BigInt.asUintN(64, imm)) pc += off; break; // jne imm (64-bit compare, imm sign-extended)
      case 0x5d: if (r[dst] !== r[src]) pc += off; break; // jne reg
      case 0x95: return Number(r[0]); // exit
      default: throw new Error(`unsupported opcode 0x${op.toString(16)} at ${pc - 1}`);
    }
  }
  throw new Error('program did not terminate');
}

/** One line per instruction, jumps shown by absolute target: "jne r2 1 ->12". */
function disasm(bytes: Uint8Array): string[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: string[] = [];
  for (let i = 0; i < bytes.length / 8; i++) {
    const op = view.getUint8(i * 8);
    const dst = view.getUint8(i * 8 + 1) & 0xf;
    const src = view.getUint8(i * 8 + 1) >> 4;
    const off = view.getInt16(i * 8 + 2, true);
    const imm = view.getInt32(i * 8 + 4, true);
    const names: Record<number, string> = {
      0x61: `ldxw r${dst} r${src}+${off}`, 0x54: `and32 r${dst} ${imm}`, 0x74: `rsh32 r${dst} ${imm}`, 0xb4: `mov32 r${dst} ${imm}`,
      0xbc: `mov32 r${dst} r${src}`, 0x55: `jne r${dst} ${imm} ->${i + 1 + off}`, 0x5d: `jne r${dst} r${src} ->${i + 1 + off}`, 0x95: 'exit',
    };
    out.push(names[op] ?? `?${op}`);
  }
  return out;
}

const PROLOGUE = ['ldxw r2 r1+0', 'and32 r2 65535', 'ldxw r3 r1+0', 'rsh32 r3 16', 'ldxw r4 r1+4', 'ldxw r5 r1+8'];

test('no rules: reject everything (runc TestDeviceFilter_Nil)', () => {
  const p = deviceFilter([{ type: 'a', major: -1, minor: -1, access: 'rwm', allow: false }]);
  expect(disasm(p.bytes)).toEqual([...PROLOGUE, 'mov32 r0 0', 'exit']);
  expect(run(p.bytes, 'c', 1, 3, 'r')).toBe(0);
});

test('privileged except one device: a deny block then accept (runc TestDeviceFilter_PrivilegedExceptSingleDevice)', () => {
  const p = deviceFilter([
    { type: 'a', major: -1, minor: -1, access: 'rwm', allow: true },
    { type: 'b', major: 8, minor: 0, access: 'rwm', allow: false },
  ]);
  expect(disasm(p.bytes)).toEqual([...PROLOGUE, 'jne r2 1 ->11', 'jne r4 8 ->11', 'jne r5 0 ->11', 'mov32 r0 0', 'exit', 'mov32 r0 1', 'exit']);
  expect(run(p.bytes, 'b', 8, 0, 'r')).toBe(0);
  expect(run(p.bytes, 'b', 8, 1, 'rw')).toBe(1);
});

test('a rule before "a" is reset by it, as on v1 (runc TestDeviceFilter_Weird)', () => {
  const p = deviceFilter([
    { type: 'b', major: 8, minor: 1, access: 'rwm', allow: false },
    { type: 'a', major: -1, minor: -1, access: 'rwm', allow: true },
    { type: 'b', major: 8, minor: 2, access: 'rwm', allow: false },
  ]);
  expect(disasm(p.bytes)).toEqual([...PROLOGUE, 'jne r2 1 ->11', 'jne r4 8 ->11', 'jne r5 2 ->11', 'mov32 r0 0', 'exit', 'mov32 r0 1', 'exit']);
  expect(run(p.bytes, 'b', 8, 1, 'rwm')).toBe(1);
  expect(run(p.bytes, 'b', 8, 2, 'r')).toBe(0);
});

test('the built-in allow list compiles to the same blocks, in the same order, as runc\'s (TestDeviceFilter_BuiltInAllowList)', () => {
  const rules: DeviceRule[] = [...DEFAULT_ALLOWED_DEVICES, { type: 'c', major: 10, minor: 200, access: 'rwm', allow: true }];
  const p = deviceFilter(rules);
  const expected = [...PROLOGUE];
  const block = (lines: string[]) => expected.push(...lines);
  // Each block: its jumps go to the next block's first instruction.
  const mk = (type: number, access: number | null, major: number | null, minor: number | null) => {
    const start = expected.length;
    const len = 1 + (access === null ? 0 : 3) + (major === null ? 0 : 1) + (minor === null ? 0 : 1) + 2;
    const next = start + len;
    const lines = [`jne r2 ${type} ->${next}`];
    if (access !== null) lines.push('mov32 r1 r3', `and32 r1 ${access}`, `jne r1 r3 ->${next}`);
    if (major !== null) lines.push(`jne r4 ${major} ->${next}`);
    if (minor !== null) lines.push(`jne r5 ${minor} ->${next}`);
    block([...lines, 'mov32 r0 1', 'exit']);
  };
  mk(1, 1, null, null); // b *:* m
  mk(2, 1, null, null); // c *:* m
  for (const [maj, min] of [[1, 3], [1, 5], [1, 7], [1, 8], [1, 9], [5, 0], [5, 2], [10, 200]] as const) mk(2, null, maj, min);
  mk(2, null, 136, null); // c 136:* rwm
  block(['mov32 r0 0', 'exit']);
  expect(disasm(p.bytes)).toEqual(expected);
  expect(expected).toHaveLength(64);
});

test('a container\'s default rules: the standard nodes and ptys are usable, disks are not, mknod is', () => {
  const p = deviceFilter(containerDeviceRules([{ type: 'a', major: -1, minor: -1, access: 'rwm', allow: false }], [
    { path: '/dev/fuse', type: 'c', major: 10, minor: 229 },
  ]));
  expect(run(p.bytes, 'c', 1, 3, 'rw')).toBe(1); // /dev/null
  expect(run(p.bytes, 'c', 136, 7, 'rw')).toBe(1); // /dev/pts/7
  expect(run(p.bytes, 'c', 10, 229, 'rw')).toBe(1); // a linux.devices node
  expect(run(p.bytes, 'b', 8, 0, 'r')).toBe(0); // /dev/sda
  expect(run(p.bytes, 'b', 8, 0, 'm')).toBe(1); // mknod is allowed for any node
  expect(run(p.bytes, 'b', 8, 0, 'rm')).toBe(0);
  expect(run(p.bytes, 'c', 10, 200, 'rw')).toBe(0); // /dev/net/tun was not asked for
});

test('random rule lists: the program agrees with the v1 semantics of the emulated rule set', () => {
  let seed = 12345;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const pick = <T,>(xs: readonly T[]) => xs[rand(xs.length)] as T;
  const accesses = ['r', 'w', 'm', 'rw', 'rm', 'wm', 'rwm'];
  const mismatches: unknown[] = [];
  let checked = 0;
  for (let round = 0; round < 300; round++) {
    const rules: DeviceRule[] = [{ type: 'a', major: -1, minor: -1, access: 'rwm', allow: rand(2) === 0 }];
    for (let i = rand(6); i > 0; i--) {
      rules.push({ type: pick(['b', 'c'] as const), major: pick([-1, 1, 8]), minor: pick([-1, 0, 3]), access: pick(accesses), allow: rand(2) === 0 });
    }
    let p;
    try {
      p = deviceFilter(rules);
    } catch (err) {
      // Rules that punch holes in wildcards are refused on both versions.
      expect(String(err)).toMatch(/punch a hole/);
      continue;
    }
    const emu = DeviceEmulator.fromRules(rules);
    const exceptions = emu.rules().slice(1);
    for (const type of ['b', 'c'] as const) {
      for (const major of [1, 8, 9]) {
        for (const minor of [0, 3, 4]) {
          for (const access of accesses) {
            // Reference: an exception applies when it names the device and covers every requested access.
            const hit = exceptions.some((e) => e.type === type && (e.major === -1 || e.major === major) && (e.minor === -1 || e.minor === minor) &&
              [...access].every((a) => e.access.includes(a)));
            const want = hit ? !emu.isBlacklist : emu.isBlacklist;
            checked++;
            if (run(p.bytes, type, major, minor, access) !== (want ? 1 : 0)) mismatches.push({ rules, type, major, minor, access, want });
          }
        }
      }
    }
  }
  expect(mismatches).toEqual([]);
  expect(checked).toBeGreaterThan(20000);
});
