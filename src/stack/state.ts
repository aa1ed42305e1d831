import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../base/errors.ts';
import type { ComponentRecord } from './types.ts';

/** What `up` started, so `down` stops exactly those processes and `up` again reuses ports and data. */
export interface StackState {
  readonly version: 1;
  readonly components: Readonly<Record<string, ComponentRecord>>;
}

export const EMPTY_STATE: StackState = { version: 1, components: {} };

export function stateFile(home: string): string {
  return path.join(home, 'stack.json');
}

export async function readState(home: string): Promise<StackState> {
  const file = stateFile(home);
  if (!existsSync(file)) return EMPTY_STATE;
  try {
    const state = JSON.parse(await readFile(file, 'utf8')) as StackState;
    if (state.version !== 1 || typeof state.components !== 'object')
      throw new ConfigError(`unknown layout (version ${state.version})`);
    return state;
  } catch (cause) {
    throw new ConfigError(`stack state ${file} is unreadable; remove it after stopping any servers by hand`, {
      cause,
    });
  }
}

/** Written to a temporary file and renamed, so a crash never leaves half a state file. */
export async function writeState(home: string, state: StackState): Promise<void> {
  await mkdir(home, { recursive: true });
  const file = stateFile(home);
  await writeFile(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  await rename(`${file}.tmp`, file);
}
