import { Option } from 'clipanion';
import { BerthCommand } from '../berth-command';

/** `berth logout [SERVER]`: forgets the credentials (helper and config.json), as `docker logout`. */
export class LogoutCommand extends BerthCommand {
  static override paths = [['logout']];
  static override usage = BerthCommand.Usage({
    category: 'Registry commands',
    description: 'Log out from a registry',
    details: 'If no server is specified, Docker Hub (docker.io) is used.',
  });

  server = Option.String({ required: false, name: 'SERVER' });

  protected async run(): Promise<void> {
    const { registryHost } = await import('../../images/registry-host.js');
    const { DockerConfig, logout } = await import('@berth/registry-client');
    const host = registryHost(this.server);
    const config = new DockerConfig();
    if ((await config.get(host)) === undefined) {
      this.print(`Not logged in to ${host}`);
      return;
    }
    this.print(`Removing login credentials for ${host}`);
    await logout(host, config);
  }
}
