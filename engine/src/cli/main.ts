import { deferExtraCaCerts } from './context';
import { runHot } from './hot';

// The bin's shebang moved NODE_EXTRA_CA_CERTS here so that Node does not parse the bundle at
// start-up: the registry client reads it when it first connects, and the processes berth
// starts see the variable as the user set it.
const extraCa = process.env['BERTH_NODE_EXTRA_CA_CERTS'];
delete process.env['BERTH_NODE_EXTRA_CA_CERTS'];
if (extraCa) {
  process.env['NODE_EXTRA_CA_CERTS'] = extraCa;
  deferExtraCaCerts(extraCa);
}

const argv = process.argv.slice(2);
// `berth run` skips clipanion (hot.ts); the full CLI loads for everything else.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when needed
const done = runHot(argv) ?? (require('./cli') as typeof import('./cli')).runCli(argv);
void done.then((code) => {
  process.exitCode = code;
});
