import { describe, expect, it } from 'vitest';
import { closestName, didYouMean, userTables } from '../../src/base/suggest.ts';

describe('suggestions for mistyped names', () => {
  it('suggests the closest name within a typo of it, keeping the candidate spelling', () => {
    expect(closestName('lineitm', ['orders', 'lineitem', 'part'])).toBe('lineitem');
    expect(closestName('strat', ['start', 'stop', 'status'])).toBe('start');
    expect(closestName('idd', ['id', 'v'])).toBe('id');
    expect(closestName('nmae', ['id', 'name'])).toBe('name');
    expect(closestName('xy', ['yx'])).toBe('yx');
    expect(closestName('SALES', ['Sales', 'sold'])).toBe('Sales');
    expect(didYouMean('custmer', ['customer', 'nation'])).toBe(" (did you mean 'customer'?)");
  });

  it('suggests nothing for names that are merely short or different', () => {
    expect(closestName('x', ['t', 'u'])).toBeUndefined();
    expect(closestName('nope', ['name', 'id'])).toBeUndefined();
    expect(closestName('frobnicate', ['demo', 'stack up'])).toBeUndefined();
    expect(closestName('a', [])).toBeUndefined();
    expect(didYouMean('zzz', ['orders'])).toBe('');
  });

  it("leaves sluice's own state tables out of the user's tables", () => {
    expect(userTables(['orders', 'sluice_pipelines', 'SLUICE_OFFSETS', 'sluice_errors', 'sluicey'])).toEqual([
      'orders',
      'sluicey',
    ]);
  });
});
