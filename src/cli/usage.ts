/**
 * What the CLI says when a command line is wrong: the closest command or option instead of the
 * whole usage text (the way git and npm answer a typo), and the package version for `--version`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../base/errors.ts';
import { closestName } from '../base/suggest.ts';

/**
 * The commands a usage text lists under `commands:`: the leading words of each entry, with
 * `a | b | c NAME` read as three commands (`stack down [--purge]` → `stack down`).
 */
export function commandsOf(usage: string): string[] {
  const section = usage.split(/^commands:\n/m)[1]?.split(/\n\s*\n/)[0] ?? '';
  const commands: string[] = [];
  for (const line of section.split('\n')) {
    const entry = /^ {2}(\S.*?)(?: {2,}|$)/.exec(line)?.[1];
    if (!entry) continue;
    for (const alternative of entry.split(' | ')) {
      const words: string[] = [];
      for (const word of alternative.trim().split(/\s+/)) {
        if (!/^[a-z][a-z-]*$/.test(word)) break;
        words.push(word);
      }
      if (words.length > 0) commands.push(words.join(' '));
    }
  }
  return commands;
}

/** `unknown command 'stak up' (did you mean 'stack up'?)`, pointing at --help rather than printing it. */
export function unknownCommand(command: string, usage: string, program = 'sluice'): UsageError {
  const commands = commandsOf(usage);
  const completions = commands.filter((known) => known.startsWith(`${command} `));
  const match = closestName(command, commands);
  const hint =
    completions.length > 0
      ? ` (one of: ${completions.join(', ')})`
      : match !== undefined
        ? ` (did you mean '${program} ${match}'?)`
        : '';
  return new UsageError(`unknown command '${command}'${hint}; '${program} --help' lists the commands`);
}

/**
 * A parseArgs error as a usage error: an unknown option gets the closest known one, and the
 * message points at --help instead of repeating the usage text.
 */
export function argumentError(
  error: unknown,
  options: Readonly<Record<string, unknown>>,
  program = 'sluice',
): UsageError {
  const message = (error as Error).message;
  const unknown = /^Unknown option '(-{1,2}[^']+)'/.exec(message)?.[1];
  const match = unknown?.startsWith('--') ? closestName(unknown.slice(2), Object.keys(options)) : undefined;
  const hint = match === undefined ? '' : ` (did you mean '--${match}'?)`;
  const first = message.split('. ')[0] ?? message;
  return new UsageError(
    `${unknown ? `unknown option '${unknown}'` : first}${hint}; '${program} --help' lists the options`,
  );
}

/** The version in sluice's package.json (the nearest one above this module, in src/ or dist/). */
export function packageVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (manifest.name === 'sluice' && manifest.version) return manifest.version;
    } catch {
      // no package.json here: keep walking up
    }
    const parent = path.dirname(dir);
    if (parent === dir) return 'unknown';
    dir = parent;
  }
}
