/**
 * `sluice shell`: an interactive SQL prompt (node:readline) with history, in the manner of the
 * mysql and duckdb shells. A statement ends with `;` and may span lines; lines starting with `.`
 * are shell commands. On a terminal the history is kept in ~/.sluice_history (SLUICE_HISTORY
 * moves it); with stdin from a pipe or a file the statements run one after another with no
 * prompt, and the exit code is 1 if any failed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { ConfigError, describeError } from '../base/errors.ts';
import { describeSource, parseCommand, requireDatabase, SOURCE_OPTIONS, SOURCE_USAGE } from './common.ts';
import { OUTPUT_FORMATS, type OutputFormat, writeResult } from './output.ts';
import { describeDone, StatementRunner } from './statements.ts';

export const SHELL_USAGE = `usage: sluice shell [options]

An interactive SQL prompt: end a statement with ';'. Type .help for the shell's own commands.

options:
${SOURCE_USAGE}
  -f, --format F            table | csv | json | ndjson (default table)
  -h, --help                this text`;

const SHELL_HELP = `.help                 this text
.tables               the tables of the database
.schema TABLE         the columns of TABLE
.explain SQL          the plan and the SQL pushed down for a SELECT
.format F             output format: table, csv, json, ndjson
.maxrows N            rows a table shows (the rest are counted)
.timer on|off         show how long each statement took
.quit                 leave (Ctrl-D too)`;

const SHELL_OPTIONS = {
  ...SOURCE_OPTIONS,
  format: { type: 'string', short: 'f' },
  help: { type: 'boolean', short: 'h' },
} as const;

const TEXT_FORMATS = OUTPUT_FORMATS.filter((format) => format !== 'arrow' && format !== 'parquet');
const HISTORY_SIZE = 1000;

export async function runShellCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseCommand(argv, SHELL_OPTIONS, SHELL_USAGE);
  if (values.help) {
    process.stdout.write(`${SHELL_USAGE}\n`);
    return 0;
  }
  const source = await requireDatabase(values);
  const interactive = process.stdin.isTTY === true && process.stdout.isTTY === true;
  const state = {
    format: checkFormat(values.format ?? 'table'),
    maxRows: 40,
    timer: interactive,
  };
  const runner = await StatementRunner.open(source);
  const historyFile = process.env.SLUICE_HISTORY ?? path.join(os.homedir(), '.sluice_history');
  const rl = createInterface({
    input: process.stdin,
    output: process.stdout,
    terminal: interactive,
    history: interactive ? readHistory(historyFile) : [],
    historySize: HISTORY_SIZE,
    removeHistoryDuplicates: true,
  });
  const print = (text: string) => process.stdout.write(`${text}\n`);
  const fail = (error: unknown) => {
    failures++;
    process.stderr.write(`${describeError(error)}\n`);
  };
  let failures = 0;
  let pending = '';
  let running: AbortController | undefined;
  rl.on('SIGINT', () => {
    if (running) {
      running.abort();
      return;
    }
    // Ctrl-C drops the statement being typed, as in psql and duckdb.
    pending = '';
    process.stdout.write('^C\n');
    rl.setPrompt('sluice> ');
    rl.prompt();
  });

  const runSql = async (sql: string) => {
    const started = performance.now();
    running = new AbortController();
    try {
      const result = await runner.run(sql, { signal: running.signal });
      if (result.kind === 'done') print(describeDone(result));
      else await writeResult(result.batches, { format: state.format, maxRows: state.maxRows });
      if (state.timer) print(`(${((performance.now() - started) / 1000).toFixed(2)} s)`);
    } catch (error) {
      fail(error);
    } finally {
      running = undefined;
    }
  };

  const dotCommand = async (line: string): Promise<'quit' | undefined> => {
    const [command, ...rest] = line.split(/\s+/);
    const argument = rest.join(' ').trim();
    try {
      switch (command) {
        case '.quit':
        case '.exit':
          return 'quit';
        case '.help':
          print(SHELL_HELP);
          return;
        case '.tables':
          await runSql('SHOW TABLES');
          return;
        case '.schema':
          if (!argument) throw new ConfigError('.schema needs a table name');
          await runSql(`SHOW COLUMNS FROM ${argument.replace(/;$/, '')}`);
          return;
        case '.explain':
          print(runner.explain(argument.replace(/;+\s*$/, '')));
          return;
        case '.format':
          state.format = checkFormat(argument);
          return;
        case '.maxrows': {
          const rows = Number(argument);
          if (!Number.isInteger(rows) || rows < 1) throw new ConfigError('.maxrows takes a positive integer');
          state.maxRows = rows;
          return;
        }
        case '.timer':
          if (argument !== 'on' && argument !== 'off') throw new ConfigError('.timer takes on or off');
          state.timer = argument === 'on';
          return;
        default:
          throw new ConfigError(`unknown shell command '${command}'; .help lists them`);
      }
    } catch (error) {
      fail(error);
    }
  };

  if (interactive) {
    print(`connected to ${describeSource(source)}; end statements with ';', .help for help, .quit to leave`);
    rl.setPrompt('sluice> ');
    rl.prompt();
  }
  try {
    for await (const line of rl) {
      // A shell command works mid-statement too (as psql's backslash commands): no SQL line starts with '.'.
      if (line.trim().startsWith('.')) {
        if ((await dotCommand(line.trim())) === 'quit') break;
      } else {
        pending = pending === '' ? line : `${pending}\n${line}`;
        for (let statement = nextStatement(pending); statement; statement = nextStatement(pending)) {
          pending = statement.rest;
          if (statement.sql !== '') await runSql(statement.sql);
        }
      }
      if (interactive) {
        rl.setPrompt(pending.trim() === '' ? 'sluice> ' : '   ...> ');
        if (pending.trim() === '') pending = '';
        rl.prompt();
      }
    }
    // Input ended with a statement that has no ';': run it, as the mysql client does.
    if (pending.trim() !== '') await runSql(pending.trim());
  } finally {
    if (interactive) {
      writeHistory(historyFile, (rl as unknown as { history: string[] }).history);
      process.stdout.write('\n');
    }
    rl.close();
    await runner.close();
  }
  return failures > 0 && !interactive ? 1 : 0;
}

/**
 * The first complete statement of `text` (ended by a `;` outside quotes and comments), or
 * undefined when it is not complete yet.
 */
export function nextStatement(text: string): { sql: string; rest: string } | undefined {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\' && quote !== '`') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') quote = c;
    else if (c === '-' && text[i + 1] === '-') i = endOfLine(text, i);
    else if (c === '#') i = endOfLine(text, i);
    else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) return undefined;
      i = end + 1;
    } else if (c === ';') return { sql: text.slice(0, i).trim(), rest: text.slice(i + 1) };
  }
  return undefined;
}

function endOfLine(text: string, from: number): number {
  const end = text.indexOf('\n', from);
  return end < 0 ? text.length : end;
}

function checkFormat(format: string): OutputFormat {
  if (!(TEXT_FORMATS as readonly string[]).includes(format)) {
    throw new ConfigError(
      `format '${format}' is not one the shell prints; valid formats: ${TEXT_FORMATS.join(', ')}`,
    );
  }
  return format as OutputFormat;
}

function readHistory(file: string): string[] {
  try {
    // readline keeps the newest entry first.
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).reverse().slice(0, HISTORY_SIZE);
  } catch {
    return [];
  }
}

function writeHistory(file: string, history: readonly string[]): void {
  try {
    writeFileSync(file, `${[...history].reverse().join('\n')}\n`, { mode: 0o600 });
  } catch {
    // A history that cannot be saved must not turn a clean exit into an error.
  }
}
