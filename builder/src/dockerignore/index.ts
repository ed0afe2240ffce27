export { parseDockerignore } from './parse';
export { PatternMatcher } from './matcher';
export type { MatchInfo, Pattern } from './matcher';
export { readDockerignore } from './read';
export type { DockerignoreFile } from './read';
export { DockerignoreError } from './errors';
export { cleanPath } from './clean';
