import { Float64, Int32, type Table, tableFromArrays, Utf8 } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { PlanError } from '../../../src/base/errors.ts';
import { col, fn, lit } from '../../../src/frame/column.ts';
import { executeLocal } from '../../../src/local/execute.ts';
import { Plans } from '../../../src/plan/nodes.ts';
import { arrowTable, run, runColumn, source } from './helpers.ts';

const table = arrowTable({
  id: [new Int32(), [1, 2, 3, 4, 5, 6]],
  name: [new Utf8(), ['beta', 'Alpha', null, 'alpha', 'Gamma', 'beta']],
  score: [new Float64(), [2.5, null, 1, 2.5, -1, 3]],
});
const { node, inputs } = source('t', table);

describe('filter', () => {
  it('keeps rows where the condition is true, not false or NULL', async () => {
    expect(await runColumn(Plans.filter(node, col('score').gt(1).node), inputs, 'id')).toEqual([1, 4, 6]);
    expect(await runColumn(Plans.filter(node, col('score').gt(1).not().node), inputs, 'id')).toEqual([3, 5]);
    expect(await runColumn(Plans.filter(node, col('name').eq('ALPHA').node), inputs, 'id')).toEqual([2, 4]);
  });

  it('takes a non-boolean condition as MariaDB does (nonzero is true)', async () => {
    expect(await runColumn(Plans.filter(node, col('score').node), inputs, 'id')).toEqual([1, 3, 4, 5, 6]);
  });

  it('runs a JavaScript predicate over row objects of SQL values', async () => {
    const seen: unknown[] = [];
    const plan = Plans.jsFilter(
      node,
      (row) => {
        seen.push(row);
        return typeof row.name === 'string' && row.name.startsWith('b');
      },
      'starts with b',
    );
    expect(await runColumn(plan, inputs, 'id')).toEqual([1, 6]);
    expect(seen[0]).toEqual({ id: 1, name: 'beta', score: 2.5 });
  });
});

describe('project', () => {
  it('renames, computes and reorders columns', async () => {
    const plan = Plans.project(
      node,
      [col('score').as('s'), col('id').times(10).as('id10'), col('id')].map((c) => c.node),
    );
    expect((await run(plan, inputs))[0]).toEqual({ s: 2.5, id10: 10, id: 1 });
  });

  it('names a missing column and the available ones', async () => {
    const plan = Plans.project(node, [col('nope').node]);
    await expect(executeLocal(plan, inputs)).rejects.toThrow(
      /no column 'nope'; available columns: id, name, score/,
    );
  });

  it('rejects an aggregate outside agg()', async () => {
    const plan = Plans.filter(node, fn.sum('id').gt(1).node);
    await expect(executeLocal(plan, inputs)).rejects.toThrow(PlanError);
  });
});

describe('sort and limit', () => {
  it('sorts ascending with NULLs first, strings by the collation, ties in input order', async () => {
    const plan = Plans.sort(node, [col('name').asc().key]);
    expect(await runColumn(plan, inputs, 'id')).toEqual([3, 2, 4, 1, 6, 5]);
  });

  it('sorts descending with NULLs last, on several keys', async () => {
    const plan = Plans.sort(node, [col('score').desc().key, col('id').desc().key]);
    expect(await runColumn(plan, inputs, 'id')).toEqual([6, 4, 1, 3, 5, 2]);
  });

  it('places NULLs where asked', async () => {
    expect(
      await runColumn(Plans.sort(node, [col('score').asc({ nulls: 'last' }).key]), inputs, 'id'),
    ).toEqual([5, 3, 1, 4, 6, 2]);
    expect(
      await runColumn(Plans.sort(node, [col('score').desc({ nulls: 'first' }).key]), inputs, 'id'),
    ).toEqual([2, 6, 1, 4, 3, 5]);
  });

  it('sorts by an expression', async () => {
    const plan = Plans.sort(node, [col('id').mod(3).asc().key, col('id').desc().key]);
    expect(await runColumn(plan, inputs, 'id')).toEqual([6, 3, 4, 1, 5, 2]);
  });

  it('sorts an ENUM by its definition order, as MariaDB does', async () => {
    const colors = arrowTable({ en: [new Utf8(), ['red', 'blue', null, 'green', 'red']] });
    const { node: enumNode, inputs: enumInputs } = source('e', colors, [
      { name: 'en', sqlType: "enum('red','green','blue')" },
    ]);
    expect(await runColumn(Plans.sort(enumNode, [col('en').asc().key]), enumInputs, 'en')).toEqual([
      null,
      'red',
      'red',
      'green',
      'blue',
    ]);
    // Comparisons stay text comparisons.
    expect(await runColumn(Plans.filter(enumNode, col('en').lt('c').node), enumInputs, 'en')).toEqual([
      'blue',
    ]);
  });

  it('limits and offsets', async () => {
    expect(await runColumn(Plans.limit(node, 2, 1), inputs, 'id')).toEqual([2, 3]);
    expect(await runColumn(Plans.limit(node, undefined, 4), inputs, 'id')).toEqual([5, 6]);
    expect(await runColumn(Plans.limit(node, 10, 5), inputs, 'id')).toEqual([6]);
    expect(await runColumn(Plans.limit(node, 0, 0), inputs, 'id')).toEqual([]);
    expect(await runColumn(Plans.limit(node, 3, 10), inputs, 'id')).toEqual([]);
  });
});

describe('distinct and union', () => {
  it('distinct treats case variants and NULLs as duplicates, keeping the first', async () => {
    const plan = Plans.distinct(Plans.project(node, [col('name').node]));
    expect(await runColumn(plan, inputs, 'name')).toEqual(['beta', 'Alpha', null, 'Gamma']);
  });

  it('distinct over several columns', async () => {
    const plan = Plans.distinct(
      Plans.project(node, [fn.lower('name').as('n').node, col('score').gt(2).as('high').node]),
    );
    expect(await run(plan, inputs)).toEqual([
      { n: 'beta', high: 1 },
      { n: 'alpha', high: null },
      { n: null, high: 0 },
      { n: 'alpha', high: 1 },
      { n: 'gamma', high: 0 },
    ]);
  });

  it('union all keeps duplicates; union removes them; types widen by position', async () => {
    const ints = Plans.project(node, [col('id').as('v').node]);
    const doubles = Plans.project(node, [col('score').as('w').node]);
    const all = await runColumn(Plans.union(ints, doubles, true), inputs, 'v');
    expect(all).toEqual([1, 2, 3, 4, 5, 6, 2.5, null, 1, 2.5, -1, 3]);
    const result = await executeLocal(Plans.union(ints, doubles, false), inputs);
    expect(String(result.schema.fields[0]!.type)).toBe('Float64');
    expect(await runColumn(Plans.union(ints, doubles, false), inputs, 'v')).toEqual([
      1,
      2,
      3,
      4,
      5,
      6,
      2.5,
      null,
      -1,
    ]);
  });

  it('union of a number and a string column is a string column', async () => {
    const plan = Plans.union(
      Plans.project(node, [col('id').node]),
      Plans.project(node, [col('name').node]),
      false,
    );
    expect(await runColumn(plan, inputs, 'id')).toEqual([
      '1',
      '2',
      '3',
      '4',
      '5',
      '6',
      'beta',
      'Alpha',
      null,
      'Gamma',
    ]);
  });

  it('union needs the same number of columns', async () => {
    const plan = Plans.union(node, Plans.project(node, [col('id').node]), true);
    await expect(executeLocal(plan, inputs)).rejects.toThrow(/same number of columns/);
  });
});

describe('mapBatches', () => {
  it('passes an Arrow table and takes an Arrow table back', async () => {
    const plan = Plans.mapBatches(
      node,
      (batch: Table) => {
        const ids = batch.getChild('id')!.toArray() as Int32Array;
        return tableFromArrays({ doubled: Float64Array.from(ids, (id) => id * 2) });
      },
      'double ids',
    );
    expect(await runColumn(plan, inputs, 'doubled')).toEqual([2, 4, 6, 8, 10, 12]);
  });

  it('takes row objects back, and an async function', async () => {
    const plan = Plans.mapBatches(
      node,
      async (batch: Table) =>
        batch.toArray().map((row) => ({
          id: row.id,
          label: `#${row.id}`,
          big: row.id > 3,
          when: new Date(Date.UTC(2020, 0, row.id)),
        })),
      'label',
    );
    const rows = await run(Plans.filter(plan, col('big').node), inputs);
    expect(rows[0]).toEqual({ id: 4, label: '#4', big: 1, when: '2020-01-04 00:00:00' });
  });

  it('rejects anything else', async () => {
    const plan = Plans.mapBatches(node, () => 42, 'broken');
    await expect(executeLocal(plan, inputs)).rejects.toThrow(
      /mapBatches\(broken\).*Arrow table or an array of row objects/,
    );
  });
});

describe('leaves and options', () => {
  it('refuses scans and SQL text, which the database reads', async () => {
    const scan = Plans.scan('db1', 'lineitem', [{ name: 'a' }], { pushdown: true });
    await expect(executeLocal(scan, new Map())).rejects.toThrow(/scan of 'lineitem'.*values nodes/);
    const sqlText = Plans.sqlText('db1', 'SELECT 1', [{ name: 'a' }], { pushdown: true });
    await expect(executeLocal(sqlText, new Map())).rejects.toThrow(PlanError);
  });

  it('names a values node without input and the inputs given', async () => {
    await expect(executeLocal(Plans.values('missing', []), inputs)).rejects.toThrow(
      /no input table for values node 'missing'; inputs given: t/,
    );
  });

  it('compares strings by code point with the binary collation', async () => {
    const plan = Plans.filter(node, col('name').eq('alpha').node);
    expect(await runColumn(plan, inputs, 'id')).toEqual([2, 4]);
    const binary = await executeLocal(plan, inputs, { collation: 'binary' });
    expect(binary.numRows).toBe(1);
  });

  it('runs a whole tree: join, aggregate, window, sort, limit', async () => {
    const other = arrowTable({
      name: [new Utf8(), ['ALPHA', 'beta', 'delta']],
      team: [new Utf8(), ['red', 'blue', 'red']],
    });
    const both = new Map([...inputs, ['o', other]]);
    const joinedPlan = Plans.join(node, Plans.values('o', [{ name: 'name' }, { name: 'team' }]), 'left', [
      'name',
    ]);
    const grouped = Plans.aggregate(
      joinedPlan,
      [fn.coalesce('team', lit('none')).as('team').node],
      [fn.count().as('n'), fn.avg('score').as('avg')].map((c) => c.node),
    );
    const ranked = Plans.window(grouped, [
      fn
        .rank()
        .over({ orderBy: col('n').desc() })
        .as('r').node,
    ]);
    const plan = Plans.limit(Plans.sort(ranked, [col('r').asc().key, col('team').asc().key]), 2);
    expect(await run(plan, both)).toEqual([
      { team: 'blue', n: 2, avg: 2.75, r: 1 },
      { team: 'none', n: 2, avg: 0, r: 1 },
    ]);
  });
});
