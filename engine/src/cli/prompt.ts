/** Line prompts on a terminal for `berth login`; the password is read without echo. */
import type { Readable, Writable } from 'node:stream';

export async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(String(c)));
  return Buffer.concat(chunks).toString('utf8');
}

export function promptLine(input: NodeJS.ReadStream, output: Writable, question: string, echo: boolean): Promise<string> {
  output.write(question);
  return new Promise((resolve, reject) => {
    let line = '';
    const raw = !echo && typeof input.setRawMode === 'function';
    if (raw) input.setRawMode(true);
    const done = (err?: Error): void => {
      input.off('data', onData);
      if (raw) input.setRawMode(false);
      input.pause();
      if (!echo) output.write('\n');
      if (err) reject(err);
      else resolve(line);
    };
    const onData = (buf: Buffer): void => {
      for (const ch of buf.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003' || ch === '\u0004') return done(new Error('login canceled'));
        if (ch === '\u007f') line = line.slice(0, -1);
        else line += ch;
      }
    };
    input.on('data', onData);
    input.resume();
  });
}

/** One line from a stream (empty at EOF), for yes/no questions. */
export async function readLine(stream: Readable): Promise<string> {
  const { createInterface } = await import('node:readline');
  const rl = createInterface({ input: stream, terminal: false });
  try {
    for await (const line of rl) return line;
    return '';
  } finally {
    rl.close();
  }
}
