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
const hot = runHot(argv);
if (hot !== undefined) {
  // When `berth run` settles, its container has been reaped and cleaned up, and its stdio was
  // the container's own (inherited) or written synchronously (pipes, files and terminals are, on
  // Linux): exit at once rather than let Node tear the heap down (~5-20 ms here).
  void hot.then((code) => process.exit(code));
} else {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when needed
  void (require('./cli') as typeof import('./cli')).runCli(argv).then((code) => {
    process.exitCode = code;
  });
}
