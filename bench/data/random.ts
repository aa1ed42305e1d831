// The seeded PRNG lives in src/ml (the demo generates data at run time); benchmarks import it here.
export { deriveSeed, Random } from '../../src/ml/random.ts';
