/**
 * Sort and window pushdown: ORDER BY (with NULL placement emulated where the dialect has no
 * NULLS FIRST/LAST), DISTINCT, LIMIT/OFFSET and window functions with ROWS frames are all
 * expressible in the MySQL family; the compile step is the final judge.
 */
import { PUSH, type PushRule } from './verdict.ts';

export const sortPushRule: PushRule<'sort'> = () => PUSH;
export const limitPushRule: PushRule<'limit'> = () => PUSH;
export const distinctPushRule: PushRule<'distinct'> = () => PUSH;
export const windowPushRule: PushRule<'window'> = () => PUSH;
export const projectPushRule: PushRule<'project'> = () => PUSH;
export const unionPushRule: PushRule<'union'> = () => PUSH;
