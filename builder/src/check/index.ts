export { checkDockerfile, type CheckOptions, type CheckResult } from './check';
export { formatDiagnostic, summarize, type Diagnostic } from './diagnostics';
