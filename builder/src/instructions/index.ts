export * from './types';
export * from './errors';
export { parseInstruction } from './parse';
export { parseGoDuration } from './duration';
export { chmodProblem, isSignal, portProblem } from './values';
export { collectInstructions, parseInstructions, type CollectedInstructions, type DockerfileInstructions, type Stage } from './stages';
export {
  buildStageGraph, platformArgs, PROXY_ARGS, TargetNotFoundError, type PlatformArgs, type ResolvedStage, type StageBase,
  type StageGraph, type StageGraphOptions,
} from './graph';
export { expandInstruction } from './expand';
export { runScript, type RunScript } from './run-script';
