import { Option } from 'clipanion';
import { UsageError } from '../../errors';
import { RuntimeCommand } from '../command';
import { parseFdCount } from './util';

export class ExecCommand extends RuntimeCommand {
  static override paths = [['exec']];
  static override usage = RuntimeCommand.Usage({
    description: 'run a new process inside a container',
    details: 'ID and the command follow the options; everything after ID is the command and its arguments.',
  });
  processFile = Option.String('--process,-p', { description: 'runtime-spec process JSON (the process flags are then ignored)' });
  tty = Option.Boolean('--tty,-t', false, { description: 'allocate a pseudo-TTY' });
  consoleSocket = Option.String('--console-socket', { description: 'unix socket that receives the pty master' });
  detach = Option.Boolean('--detach,-d', false, { description: 'do not wait for the process' });
  pidFile = Option.String('--pid-file', { description: 'file to write the process id to' });
  env = Option.Array('--env,-e', [], { description: 'set an environment variable (K=V)' });
  user = Option.String('--user,-u', { description: 'UID[:GID] to run as' });
  additionalGids = Option.Array('--additional-gids,-g', [], { description: 'an additional group id' });
  cwd = Option.String('--cwd', { description: 'working directory in the container' });
  cap = Option.Array('--cap,-c', [], { description: 'add a capability' });
  noNewPrivs = Option.Boolean('--no-new-privs', false, { description: 'set no_new_privs for the process' });
  preserveFds = Option.String('--preserve-fds', '0', { description: 'pass N additional fds (3..3+N-1) to the process' });
  ignorePaused = Option.Boolean('--ignore-paused', false, { description: 'exec even in a paused container' });
  cgroup = Option.Array('--cgroup', [], { description: 'run in an existing sub-cgroup of the container: [CONTROLLER[,CONTROLLER...]:]PATH' });
  apparmor = Option.String('--apparmor', { hidden: true });
  processLabel = Option.String('--process-label', { hidden: true });
  id = Option.String();
  args = Option.Proxy();

  async run(): Promise<number> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { execInContainer } = require('../../exec') as typeof import('../../exec');
    try {
      // As runc, a refused option is a failed exec (255) too.
      if (this.apparmor !== undefined) throw new UsageError('--apparmor: AppArmor is not supported by berth-runtime');
      if (this.processLabel !== undefined) throw new UsageError('--process-label: SELinux is not supported by berth-runtime');
      const gids = this.additionalGids.map((g) => {
        if (!/^\d+$/.test(g)) throw new UsageError(`--additional-gids: invalid value ${JSON.stringify(g)}`);
        return Number(g);
      });
      return await execInContainer(this.context.runtime(), this.id, {
        processFile: this.processFile,
        args: this.args,
        tty: this.tty,
        consoleSocket: this.consoleSocket,
        detach: this.detach,
        pidFile: this.pidFile,
        env: this.env,
        user: this.user,
        additionalGids: gids,
        cwd: this.cwd,
        caps: this.cap,
        noNewPrivs: this.noNewPrivs,
        preserveFds: parseFdCount(this.preserveFds),
        ignorePaused: this.ignorePaused,
        cgroups: this.cgroup,
      });
    } catch (err) {
      // As runc: a failed exec exits 255, so it is told apart from the process's own status.
      this.context.log.fatal(`exec failed: ${err instanceof Error ? err.message : String(err)}`);
      return 255;
    }
  }
}
