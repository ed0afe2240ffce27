export { createCli, runCli } from './cli/cli';
export { berthVersion } from './version';
