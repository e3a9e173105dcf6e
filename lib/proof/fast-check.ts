/**
 * fast-check, an optional peer dependency: only the proof needs it, so the main entry never loads it and
 * a project that uses the proof without installing it is told what to install.
 */
try {
  require.resolve('fast-check');
} catch {
  throw new Error('chart-as-code/proof needs fast-check (an optional peer dependency): npm install --save-dev fast-check');
}

export { default as fc } from 'fast-check';
export type { Arbitrary, WeightedArbitrary } from 'fast-check';
