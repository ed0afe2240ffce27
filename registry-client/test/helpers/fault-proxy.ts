import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the proxy does with one request. */
export type Fault =
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string }
  /** Forward, but cut the connection after this many body bytes. */
  | { kind: 'drop'; after: number }
  /** Forward this many body bytes, then send nothing more (a hung server). */
  | { kind: 'stall'; after: number }
  /** Forward, flipping one byte of the body. */
  | { kind: 'corrupt' }
  /** Answer 307 to the same path on another origin. */
  | { kind: 'redirect'; to: string }
  /** Close the connection without answering. */
  | { kind: 'reset' }
  /** Forward, adding response headers. */
  | { kind: 'headers'; headers: Record<string, string> };

export interface FaultRule {
  method?: string;
  path: RegExp;
  /** How many matching requests get the fault (default 1). */
  times?: number;
  fault: Fault;
}

export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  fault?: Fault['kind'];
}

export interface FaultProxy {
  host: string;
  seen: SeenRequest[];
  rules: FaultRule[];
  stop(): Promise<void>;
}

/**
 * An HTTP proxy in front of a test registry that injects faults for matching
 * requests: error statuses, dropped connections mid-body, corrupted bytes,
 * redirects. Everything else passes through unchanged (Host included, so the
 * registry's Location headers point back at the proxy).
 */
export async function startFaultProxy(target: string, hostname = '127.0.0.1'): Promise<FaultProxy> {
  const seen: SeenRequest[] = [];
  const rules: FaultRule[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    const rule = rules.find((r) => (!r.method || r.method === req.method) && r.path.test(req.url ?? '') && (r.times ?? 1) > 0);
    if (rule) rule.times = (rule.times ?? 1) - 1;
    const fault = rule?.fault;
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, fault: fault?.kind });
    if (fault?.kind === 'status') {
      req.resume();
      res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
      res.end(fault.body ?? '');
      return;
    }
    if (fault?.kind === 'reset') {
      req.resume();
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'redirect') {
      req.resume();
      res.writeHead(307, { location: `${fault.to}${req.url}` });
      res.end();
      return;
    }
    const [thost, tport] = target.split(':');
    const upstream = http.request(
      { host: thost, port: Number(tport), method: req.method, path: req.url, headers: req.headers },
      (up) => {
        if (fault?.kind === 'stall') {
          res.writeHead(up.statusCode ?? 502, up.headers);
          let sent = 0;
          up.on('data', (chunk: Buffer) => {
            const part = chunk.subarray(0, Math.max(0, fault.after - sent));
            sent += part.length;
            if (part.length) res.write(part);
          });
          return;
        }
        if (fault?.kind === 'drop') {
          res.writeHead(up.statusCode ?? 502, up.headers);
          let sent = 0;
          up.on('data', (chunk: Buffer) => {
            if (sent >= fault.after) return;
            const part = chunk.subarray(0, fault.after - sent);
            sent += part.length;
            res.write(part);
            if (sent >= fault.after) {
              up.destroy();
              // Flush what was written, then close the connection mid-body
              // (FIN, not RST, so the client really has those bytes).
              res.write('', () => res.socket?.end());
            }
          });
          return;
        }
        if (fault?.kind === 'corrupt') {
          res.writeHead(up.statusCode ?? 502, up.headers);
          let first = true;
          up.on('data', (chunk: Buffer) => {
            if (first && chunk.length > 0) {
              chunk = Buffer.from(chunk);
              chunk[chunk.length - 1] ^= 0xff;
              first = false;
            }
            res.write(chunk);
          });
          up.on('end', () => res.end());
          return;
        }
        res.writeHead(up.statusCode ?? 502, { ...up.headers, ...(fault?.kind === 'headers' ? fault.headers : {}) });
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `${hostname}:${port}`,
    seen,
    rules,
    stop: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
