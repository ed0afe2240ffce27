import { Gate } from '../src/gate';

describe('Gate', () => {
  it('lets at most `limit` holders in at once and serves waiters in order', async () => {
    const gate = new Gate(2);
    let inside = 0;
    let most = 0;
    const order: number[] = [];
    const gates: (() => void)[] = [];
    const tasks = [0, 1, 2, 3, 4].map((i) =>
      gate.run(async () => {
        inside++;
        most = Math.max(most, inside);
        order.push(i);
        await new Promise<void>((resolve) => gates.push(resolve));
        inside--;
      }),
    );
    // Release the holders one at a time, as each new one enters.
    while (order.length < 5 || gates.length > 0) {
      await new Promise((r) => setImmediate(r));
      gates.shift()?.();
    }
    await Promise.all(tasks);
    expect(most).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });

  it('frees the slot when the task throws, and a second release is a no-op', async () => {
    const gate = new Gate(1);
    await expect(gate.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    const release = await gate.acquire();
    release();
    release();
    const a = await gate.acquire();
    let second = false;
    const b = gate.acquire().then((r) => {
      second = true;
      return r;
    });
    await new Promise((r) => setImmediate(r));
    expect(second).toBe(false); // the double release above did not open an extra slot
    a();
    (await b)();
    expect(second).toBe(true);
  });
});
