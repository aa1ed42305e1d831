/**
 * String comparison as the database does it. MariaDB's default (and sluice's connection) collation
 * is utf8mb4_general_ci: one weight per character, case- and accent-insensitive ('a' = 'A' = 'á',
 * 'ß' = 's'), every character beyond the Basic Multilingual Plane equal to every other, and
 * trailing spaces ignored ('a' = 'a  '). `binary` compares code points, for databases set up so.
 */

export type Collation = 'utf8mb4_general_ci' | 'binary';

export const DEFAULT_COLLATION: Collation = 'utf8mb4_general_ci';

// biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range is the point.
const ASCII = /^[\u0000-\u007f]*$/;

const SPECIAL_WEIGHTS: Record<string, string> = { ß: 'S', æ: 'Æ', œ: 'Œ' };

/** The general_ci weight of one character (BMP code point), as a one-character string. */
function weightOf(char: string): string {
  const special = SPECIAL_WEIGHTS[char];
  if (special !== undefined) return special;
  const base = char.normalize('NFD')[0] ?? char;
  const upper = base.toUpperCase();
  return upper.length === 1 ? upper : base;
}

const weightCache = new Map<string, string>();

/** Every character replaced by its general_ci weight (same length in code points; no padding rule). */
export function foldCharacters(text: string): string {
  if (ASCII.test(text)) return text.toUpperCase();
  let out = '';
  for (const char of text) {
    if (char.length > 1) {
      out += '\ufffd';
      continue;
    }
    let weight = weightCache.get(char);
    if (weight === undefined) {
      weight = weightOf(char);
      weightCache.set(char, weight);
    }
    out += weight;
  }
  return out;
}

const trimTrailingSpaces = (text: string) => (text.endsWith(' ') ? text.replace(/ +$/, '') : text);

/**
 * A key that compares (with `<`, `===`) as the collation compares the strings: equal keys for
 * equal strings. Keys are used for comparisons, sorting, grouping and joins.
 */
export function collationKey(collation: Collation): (text: string) => string {
  if (collation === 'binary') return (text) => text;
  return (text) => trimTrailingSpaces(foldCharacters(text));
}
