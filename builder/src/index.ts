export * from './parser';
export * from './instructions';
export * from './shell';
export * from './dockerignore';
export * from './check';
