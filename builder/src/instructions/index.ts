export * from './types';
export * from './errors';
export { parseInstruction } from './parse';
export { parseGoDuration } from './duration';
export {
  buildStageGraph, collectInstructions, parseInstructions, platformArgs, PROXY_ARGS, TargetNotFoundError,
  type CollectedInstructions, type DockerfileInstructions, type PlatformArgs, type ResolvedStage, type Stage,
  type StageBase, type StageGraph, type StageGraphOptions,
} from './stages';
export { expandInstruction } from './expand';
export { runScript, type RunScript } from './run-script';
