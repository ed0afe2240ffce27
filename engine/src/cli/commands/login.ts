import { Option } from 'clipanion';
import { BerthCommand, UsageError } from '../berth-command';

/**
 * `berth login [-u USER] [-p PASS | --password-stdin] [SERVER]`: checks the
 * credentials against the registry, then stores them as the docker CLI does
 * (a credential helper, or `auths` in $DOCKER_CONFIG/config.json, mode 0600).
 */
export class LoginCommand extends BerthCommand {
  static override paths = [['login']];
  static override usage = BerthCommand.Usage({
    category: 'Registry commands',
    description: 'Log in to a registry',
    details: 'If no server is specified, Docker Hub (docker.io) is used.',
    examples: [['From a script', 'echo "$TOKEN" | berth login -u me --password-stdin registry.example.com']],
  });

  username = Option.String('-u,--username', { description: 'Username' });
  password = Option.String('-p,--password', { description: 'Password' });
  passwordStdin = Option.Boolean('--password-stdin', false, { description: 'Take the password from stdin' });
  server = Option.String({ required: false, name: 'SERVER' });

  protected async run(): Promise<number> {
    const { readAll, promptLine } = await import('../prompt.js');
    const { registryHost } = await import('../../images/registry-host.js');
    const stdin = this.context.stdin as NodeJS.ReadStream;
    const err = this.context.stderr;
    if (this.password !== undefined) {
      if (this.passwordStdin) return this.usage('--password and --password-stdin are mutually exclusive');
      err.write('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
    }
    let username = this.username;
    let password = this.password;
    if (this.passwordStdin) {
      if (username === undefined) return this.usage('Must provide --username with --password-stdin');
      password = (await readAll(stdin)).replace(/\n$/, '').replace(/\r$/, '');
    }
    const host = registryHost(this.server);
    if (username === undefined || password === undefined) {
      if (!stdin.isTTY) throw new Error('Cannot perform an interactive login from a non TTY device');
      username ??= (await promptLine(stdin, this.context.stdout, 'Username: ', true)).trim();
      password ??= await promptLine(stdin, this.context.stdout, 'Password: ', false);
    }
    if (username === '') throw new Error('Username is required');
    if (password === '') throw new Error('Password is required');

    const { DockerConfig, login, authKey } = await import('@berth/registry-client');
    const { openRegistry } = await import('../context.js');
    const config = new DockerConfig();
    const client = await openRegistry();
    try {
      await login(client, host, { username, password }, config);
    } finally {
      await client.close();
    }
    const file = await config.read();
    if (file.credHelpers?.[authKey(host)] === undefined && file.credsStore === undefined) {
      err.write(
        `WARNING! Your credentials are stored unencrypted in '${config.file}'.\n` +
          'Configure a credential helper to remove this warning. See\n' +
          'https://docs.docker.com/go/credential-store/\n\n',
      );
    }
    this.print('Login Succeeded');
    return 0;
  }

  private usage(message: string): number {
    throw new UsageError(message);
  }
}
