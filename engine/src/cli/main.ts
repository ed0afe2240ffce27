import { runCli } from './cli';
import { deferExtraCaCerts } from './context';

// The bin's shebang moved NODE_EXTRA_CA_CERTS here so that Node does not parse the bundle at
// start-up: the registry client reads it when it first connects, and the processes berth
// starts see the variable as the user set it.
const extraCa = process.env['BERTH_NODE_EXTRA_CA_CERTS'];
delete process.env['BERTH_NODE_EXTRA_CA_CERTS'];
if (extraCa) {
  process.env['NODE_EXTRA_CA_CERTS'] = extraCa;
  deferExtraCaCerts(extraCa);
}

void runCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
