export { createCli, runCli, EXIT_USAGE } from './cli/cli';
export { berthVersion } from './version';
