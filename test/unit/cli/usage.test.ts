import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/base/errors.ts';
import { PIPELINE_USAGE } from '../../../src/cli/pipeline.ts';
import { argumentError, commandsOf, packageVersion, unknownCommand } from '../../../src/cli/usage.ts';

const USAGE = `usage: tool <command>

commands:
  demo                      run it
  stack up                  start
  stack down [--purge]      stop
  stop | pause | resume NAME
                            tell it
  test SPEC.json|NAME       try

options:
  --home DIR                folder`;

describe('CLI usage errors', () => {
  it('reads the commands a usage text lists', () => {
    expect(commandsOf(USAGE)).toEqual(['demo', 'stack up', 'stack down', 'stop', 'pause', 'resume', 'test']);
    expect(commandsOf(PIPELINE_USAGE)).toEqual(
      expect.arrayContaining(['create', 'start', 'stop', 'pause', 'resume', 'drop', 'status', 'list']),
    );
  });

  it('answers an unknown command with the closest one, or the completions of a prefix', () => {
    const typo = unknownCommand('stak up', USAGE);
    expect(typo).toBeInstanceOf(UsageError);
    expect(typo.message).toBe(
      "unknown command 'stak up' (did you mean 'sluice stack up'?); 'sluice --help' lists the commands",
    );
    expect(unknownCommand('stack', USAGE).message).toBe(
      "unknown command 'stack' (one of: stack up, stack down); 'sluice --help' lists the commands",
    );
    expect(unknownCommand('frobnicate', USAGE).message).toBe(
      "unknown command 'frobnicate'; 'sluice --help' lists the commands",
    );
    expect(unknownCommand('strat', PIPELINE_USAGE, 'sluice pipeline').message).toMatch(
      /did you mean 'sluice pipeline start'\?/,
    );
  });

  it('answers an unknown option with the closest one', () => {
    const options = { home: { type: 'string' }, 'skip-kafka': { type: 'boolean' } } as const;
    const parse = (args: string[]) => {
      try {
        parseArgs({ args, options, strict: true, allowPositionals: true });
      } catch (error) {
        return argumentError(error, options).message;
      }
      return 'parsed';
    };
    expect(parse(['--hme', 'x'])).toBe(
      "unknown option '--hme' (did you mean '--home'?); 'sluice --help' lists the options",
    );
    expect(parse(['--skip-kafak'])).toMatch(/did you mean '--skip-kafka'/);
    expect(parse(['--colour'])).toBe("unknown option '--colour'; 'sluice --help' lists the options");
    expect(parse(['--home'])).toMatch(/^Option '--home <value>' argument missing; 'sluice --help'/);
  });

  it("reports the package's version", async () => {
    const { readFile } = await import('node:fs/promises');
    const manifest = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8'));
    expect(packageVersion()).toBe(manifest.version);
    expect(packageVersion()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
