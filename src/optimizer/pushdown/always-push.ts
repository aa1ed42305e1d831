/**
 * Steps the MySQL family always runs, and always cheaper than reading their input: ORDER BY
 * (with NULL placement emulated where the dialect has no NULLS FIRST/LAST), DISTINCT,
 * LIMIT/OFFSET, projections and UNION; the compile step is the final judge. Windows have their
 * own rule (window.ts).
 */
import { PUSH, type PushRule } from './verdict.ts';

export const sortPushRule: PushRule<'sort'> = () => PUSH;
export const limitPushRule: PushRule<'limit'> = () => PUSH;
export const distinctPushRule: PushRule<'distinct'> = () => PUSH;
export const projectPushRule: PushRule<'project'> = () => PUSH;
export const unionPushRule: PushRule<'union'> = () => PUSH;
