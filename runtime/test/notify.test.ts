import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Spec } from '@berth/spec';
import { acceptRecvFd, closeFd, unixListen } from '@berth/sys';
import { Scratch, berth, uniqueId } from './helpers/bundle';

let s: Scratch;
let root: string;
let n = 0;

beforeAll(async () => {
  s = await Scratch.create();
  root = s.stateRoot;
});
afterEach(async () => {
  for (const id of fs.existsSync(root) ? fs.readdirSync(root) : []) await berth(root, ['delete', '--force', id]);
});
afterAll(() => s.remove());

interface ProcessState {
  ociVersion: string;
  fds: string[];
  pid: number;
  metadata: string;
  state: { ociVersion: string; id: string; status: string; pid: number; bundle: string; annotations?: Record<string, string> };
}

/** A listener as a seccomp agent runs one: it accepts a connection and takes the fd and the state. */
function listen(): { path: string; next(): Promise<{ fd: number; state: ProcessState }>; close(): void } {
  const sock = path.join(s.dir, `agent-${++n}.sock`);
  const listenFd = unixListen(sock);
  return {
    path: sock,
    next: async () => {
      const { fd, data } = await acceptRecvFd(listenFd);
      return { fd, state: JSON.parse(data) as ProcessState };
    },
    close: () => closeFd(listenFd),
  };
}

function notifyOn(listenerPath: string, names: [string, ...string[]]): (spec: Spec) => void {
  return (spec) => {
    spec.annotations = { 'org.example/agent': 'test' };
    spec.linux!.seccomp = {
      defaultAction: 'SCMP_ACT_ALLOW',
      listenerPath,
      listenerMetadata: 'agent-metadata',
      syscalls: [{ names, action: 'SCMP_ACT_NOTIFY' }],
    };
  };
}

describe('seccomp SCMP_ACT_NOTIFY', () => {
  test('create sends the listener fd and the runtime-spec state to listenerPath; exec does too', async () => {
    const agent = listen();
    try {
      const id = uniqueId(`notify-${++n}`);
      const pidFile = path.join(s.dir, `${id}.pid`);
      const bundle = s.bundle(['sh', '-c', 'mkdir /dev/shm/d; echo mkdir=$?'], notifyOn(agent.path, ['mkdir', 'mkdirat']));
      const received = agent.next();
      const created = await berth(root, ['create', '--bundle', bundle, '--pid-file', pidFile, id]);
      expect(created.stderr).toBe('');
      const { fd, state } = await received;
      const pid = Number(fs.readFileSync(pidFile, 'utf8'));
      expect(fs.readlinkSync(`/proc/self/fd/${fd}`)).toBe('anon_inode:seccomp notify');
      expect(state).toEqual({
        ociVersion: '1.3.0',
        fds: ['seccompFd'],
        pid,
        metadata: 'agent-metadata',
        state: { ociVersion: '1.3.0', id, status: 'creating', pid, bundle, annotations: { 'org.example/agent': 'test' } },
      });

      // exec loads the same filter and hands over a listener of its own
      const execReceived = agent.next();
      const execPidFile = path.join(s.dir, `${id}-exec.pid`);
      const ran = await berth(root, ['exec', '--detach', '--pid-file', execPidFile, id, 'true']);
      expect(ran.stderr).toBe('');
      const exec = await execReceived;
      closeFd(exec.fd);
      expect(exec.state.pid).toBe(Number(fs.readFileSync(execPidFile, 'utf8')));
      expect(exec.state.state.status).toBe('running');

      closeFd(fd);
    } finally {
      agent.close();
    }
  });

  test('the process blocks in a notified syscall until the agent answers; closing the fd answers ENOSYS', async () => {
    const agent = listen();
    try {
      const id = uniqueId(`notify-${++n}`);
      const bundle = s.bundle(['sh', '-c', 'mkdir /dev/shm/d 2>/dev/null; echo mkdir=$?'], (spec) => {
        notifyOn(agent.path, ['mkdir', 'mkdirat'])(spec);
        // only valid with a listener: the kernel would refuse the filter otherwise
        spec.linux!.seccomp!.flags = ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'];
      });
      const received = agent.next();
      const run = berth(root, ['run', '--bundle', bundle, id]);
      const { fd } = await received;
      closeFd(fd);
      const r = await run;
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('mkdir=1\n');
    } finally {
      agent.close();
    }
  });

  test('without no_new_privs (the filter loads before the ids change) the agent gets its fd during create too', async () => {
    const agent = listen();
    try {
      const id = uniqueId(`notify-${++n}`);
      const received = agent.next();
      const bundle = s.bundle(['true'], (spec) => {
        notifyOn(agent.path, ['mkdir'])(spec);
        spec.process!.noNewPrivileges = false;
        spec.process!.user = { uid: 1000, gid: 1000 };
      });
      expect((await berth(root, ['create', '--bundle', bundle, id])).stderr).toBe('');
      const { fd, state } = await received;
      closeFd(fd);
      expect(state.state).toMatchObject({ id, status: 'creating' });
    } finally {
      agent.close();
    }
  });

  test('listenerPath that nobody listens on fails create naming it; notify on sendmsg is refused', async () => {
    const missing = path.join(s.dir, 'nobody.sock');
    const r = await berth(root, ['run', '--bundle', s.bundle(['true'], notifyOn(missing, ['mkdir'])), uniqueId(`notify-missing-${++n}`)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`connect to seccomp listenerPath ${missing}: ENOENT`);
    const refused = await berth(root, ['run', '--bundle', s.bundle(['true'], notifyOn(missing, ['sendmsg'])), uniqueId(`notify-sendmsg-${++n}`)]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('SCMP_ACT_NOTIFY cannot be used for sendmsg');
  });
});
