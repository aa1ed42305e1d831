/**
 * cache() and local Arrow data as frames: computed once, reused by every frame built on it,
 * shown by explain; a small local side's keys filter the database side of a join (as parameters).
 */
import { Float64, Int32, Utf8 } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { col, fn, lit } from '../../../src/frame/column.ts';
import { LazyFrame } from '../../../src/frame/lazy-frame.ts';
import { fieldsOfArrow, LocalData, MAX_PUSHED_KEYS } from '../../../src/frame/local-data.ts';
import { FrameRuntime } from '../../../src/frame/runtime.ts';
import { executeLocal } from '../../../src/local/execute.ts';
import { Plans } from '../../../src/plan/nodes.ts';
import { arrowTable } from '../local/helpers.ts';
import { fakeDatabase, pushedSql } from './fake-source.ts';

const table = arrowTable({
  id: [new Int32(), [1, 2, 3, 4, 5, 6]],
  site: [new Utf8(), ['a', 'b', 'a', 'c', 'b', 'a']],
  x: [new Float64(), [1.5, null, 3, 4.25, -1, 0]],
});

function localFrame(runtime = new FrameRuntime(new Map(), executeLocal)): LazyFrame {
  const data = new LocalData('arrow', table, () => 'test table');
  return new LazyFrame(Plans.values(data.id, fieldsOfArrow(table), 'arrow'), runtime.withLocal(data));
}

describe('cache()', () => {
  it('computes the frame once, on first use, and later frames reuse it', async () => {
    let evaluated = 0;
    const counted = localFrame().filter((row) => {
      evaluated++;
      return row.x !== null;
    });
    const cached = counted.select('id', 'site', col('x').times(2).as('x2')).cache();
    expect(evaluated).toBe(0);
    const [sums, count, top] = await Promise.all([
      cached.groupBy('site').agg(fn.sum('x2').as('s')).orderBy('site').collect(),
      cached.count(),
      cached.orderBy(col('x2').desc()).limit(1).collect(),
    ]);
    expect(evaluated).toBe(6);
    expect(sums).toEqual([
      { site: 'a', s: 9 },
      { site: 'b', s: -2 },
      { site: 'c', s: 8.5 },
    ]);
    expect(count).toBe(5);
    expect(top).toEqual([{ id: 4, site: 'c', x2: 8.5 }]);
    await cached.filter(col('x2').gt(lit(0))).collect();
    expect(evaluated).toBe(6);
  });

  it('gives the same rows as the frame it caches', async () => {
    const frame = localFrame().filter(col('x').isNotNull()).select('id', col('x').plus(1).as('y'));
    expect(await frame.cache().collect()).toEqual(await frame.collect());
  });

  it('explain says what is cached, how it is computed, and that later steps run locally', async () => {
    const cached = localFrame()
      .filter(col('x').gt(lit(0)))
      .cache();
    const derived = cached.groupBy('site').agg(fn.avg('x').as('m'));
    const before = derived.explain();
    expect(before).toContain('== Local data ==');
    expect(before).toMatch(/cache\d+: cached frame, not materialized yet/);
    expect(before).toContain('computed by:');
    expect(before).toMatch(/Filter \(x > 0\)/);
    await derived.collect();
    expect(derived.explain()).toMatch(
      /cache\d+: cached frame, 3 rows × 3 columns, [\d.]+ MiB of Arrow in memory, computed once in [\d.]+ s; the steps above it run locally/,
    );
  });

  it('a failed computation is not kept: the next action tries again', async () => {
    let fail = true;
    const cached = localFrame()
      .filter(() => {
        if (fail) throw new Error('first time fails');
        return true;
      })
      .cache();
    await expect(cached.count()).rejects.toThrow(/first time fails/);
    fail = false;
    expect(await cached.count()).toBe(6);
  });
});

describe('local Arrow data joined with database tables', () => {
  const db = fakeDatabase({ t: ['id', 'k', 'v'] });

  function withLocal(rows: number[]): LazyFrame {
    const local = arrowTable({ k: [new Int32(), rows], w: [new Float64(), rows.map((r) => r / 2)] });
    const data = new LocalData('arrow', local, () => 'keys');
    return new LazyFrame(
      Plans.values(data.id, fieldsOfArrow(local), 'arrow'),
      db.table('t').runtime.withLocal(data),
    );
  }

  it("filters the database side by the small local side's keys, as parameters", () => {
    const frame = db.table('t').join(withLocal([3, 1, 3, 7]), 'k');
    expect(pushedSql(frame.explain())).toEqual(['SELECT `id`, `k`, `v` FROM `t` WHERE (`k` IN (?, ?, ?))']);
    expect(frame.explain()).toContain('params: [3,1,7]');
    expect(frame.explain()).toMatch(/Arrow arrow\d+ \[k, w\]/);
  });

  it('also from the left side of a left join, and never for a full join', () => {
    const left = withLocal([5]).join(db.table('t'), 'k', 'left');
    expect(pushedSql(left.explain())).toEqual(['SELECT `id`, `k`, `v` FROM `t` WHERE (`k` IN (?))']);
    const full = withLocal([5]).join(db.table('t'), 'k', 'full');
    expect(pushedSql(full.explain())).toEqual(['SELECT `id`, `k`, `v` FROM `t`']);
    // The database side is the left of a left join: its unmatched rows stay, so no filter.
    const kept = db.table('t').join(withLocal([5]), 'k', 'left');
    expect(pushedSql(kept.explain())).toEqual(['SELECT `id`, `k`, `v` FROM `t`']);
  });

  it('too many distinct keys: the join reads the table as it would without them', () => {
    const many = Array.from({ length: MAX_PUSHED_KEYS + 1 }, (_, i) => i);
    expect(pushedSql(db.table('t').join(withLocal(many), 'k').explain())).toEqual([
      'SELECT `id`, `k`, `v` FROM `t`',
    ]);
  });
});
