import * as fs from 'node:fs';

/** Where a command prints its output (process.stdout, a PassThrough in tests, or `stdout` below). */
export interface Out {
  write(text: string): unknown;
}

/**
 * Standard output by write(2) on fd 1. The first use of `process.stdout` builds a stream: ~20
 * builtin modules (and `net` with a libuv pipe handle when fd 1 is a pipe, as under a shim),
 * ~10-15 M instructions per call for a line of JSON. Node writes stdout to files and pipes
 * synchronously on Linux too, so ordering against stderr is as before. An fd 1 left
 * non-blocking by whoever made it (EAGAIN) gets the rest through process.stdout, which waits
 * until the reader takes it.
 */
export const stdout: Out = {
  write(text: string): void {
    const buf = Buffer.from(text);
    let done = 0;
    while (done < buf.length) {
      try {
        done += fs.writeSync(1, buf, done);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
        process.stdout.write(buf.subarray(done));
        return;
      }
    }
  },
};
