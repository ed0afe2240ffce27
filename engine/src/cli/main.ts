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
// `berth run` and `berth pull` skip clipanion (hot.ts); the full CLI loads for everything else.
const hot = runHot(argv);
if (hot !== undefined) {
  // When `berth run` settles, its container has been reaped and cleaned up, and its stdio was
  // the container's own (inherited) or written synchronously (pipes, files and terminals are, on
  // Linux); when `berth pull` settles, its image is in the store and its registry client closed.
  // Exit at once rather than let Node tear the heap down (~5-20 ms for run, more after a pull),
  // once anything still queued on stdout/stderr is written.
  void hot.then((code) => {
    if (process.stdout.writableLength === 0 && process.stderr.writableLength === 0) process.exit(code);
    process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
  });
} else {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when needed
  void (require('./cli') as typeof import('./cli')).runCli(argv).then((code) => {
    process.exitCode = code;
  });
}
