/**
 * "Did you mean" for a mistyped name (a table, a column, a command): the closest candidate by
 * edit distance, ignoring case, when it is close enough to be a typo rather than another name.
 */
import { closestMatch } from 'leven';

/** The candidate `name` was probably meant to be, or undefined. */
export function closestName(name: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0) return undefined;
  const lower = candidates.map((candidate) => candidate.toLowerCase());
  const target = name.toLowerCase();
  // Only a case difference for 1-2 letters ('x' is not 't'), one edit up to 4 ('nope' is not
  // 'name'), two from 5 (a swapped pair: 'strat' → 'start'), a third of the length beyond.
  const length = target.length;
  const maxDistance = length <= 2 ? 0 : length <= 4 ? 1 : Math.max(2, Math.floor(length / 3));
  const match = closestMatch(target, lower, { maxDistance }) ?? lower.find((c) => swapsOnePair(target, c));
  return match === undefined ? undefined : candidates[lower.indexOf(match)];
}

/** 'nmae' and 'name': one swapped pair of neighbours, the commonest typo (two edits to leven). */
function swapsOnePair(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  const first = [...a].findIndex((char, i) => char !== b[i]);
  return (
    first >= 0 &&
    a[first] === b[first + 1] &&
    a[first + 1] === b[first] &&
    a.slice(first + 2) === b.slice(first + 2)
  );
}

/** ` (did you mean 'x'?)` for a message, or nothing when no candidate is close. */
export function didYouMean(name: string, candidates: readonly string[]): string {
  const match = closestName(name, candidates);
  return match === undefined ? '' : ` (did you mean '${match}'?)`;
}

/** Tables sluice creates for its own state (pipelines, offsets, errors): not the user's to read. */
export function userTables(names: readonly string[]): string[] {
  return names.filter((name) => !name.toLowerCase().startsWith('sluice_'));
}
