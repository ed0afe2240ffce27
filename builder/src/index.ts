export * from './parser';
