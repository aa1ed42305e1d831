/**
 * Errors say what happened at the top level, keep the driver's error as the cause, show the
 * server's message about the user's own SQL, and suggest the name that was probably meant.
 */
import { execFile } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { withSession } from '../../src/db/driver.ts';
import { endpointUrl } from '../../src/db/endpoint.ts';
import { connect, type Database, DatabaseError, PlanError } from '../../src/index.ts';
import { ensureStateTables } from '../../src/loader/state.ts';

const stack = inject('stack');
const root = path.resolve(import.meta.dirname, '..', '..');
const run = promisify(execFile);

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function failure(promise: Promise<unknown>): Promise<Error & { cause?: unknown }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}

describe('connection errors name the reason', () => {
  it('a refused connection says ECONNREFUSED at the top, with the socket error as cause', async () => {
    const port = await freePort();
    const error = await failure(connect(`mysql://root@127.0.0.1:${port}/sluice`));
    expect(error).toBeInstanceOf(DatabaseError);
    expect(error.message).toBe(
      `cannot connect to 127.0.0.1:${port} as root: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    expect((error.cause as { code?: string }).code).toBe('ECONNREFUSED');
    expect((error as DatabaseError).retriable).toBe(true);
  });

  it('a refused login says Access denied at the top, with the server error as cause', async () => {
    const { host, port } = stack.single;
    const error = await failure(connect(`mysql://nobody:wrong@${host}:${port}/sluice`));
    expect(error.message).toMatch(
      new RegExp(`^cannot connect to ${host}:${port} as nobody: Access denied for user 'nobody'@`),
    );
    expect((error.cause as { code?: string }).code).toBe('ER_ACCESS_DENIED_ERROR');
  });
});

describe('SQL and name errors are about what the user wrote', () => {
  let db: Database;

  beforeAll(async () => {
    await withSession(stack.single, async (session) => {
      await session.query('DROP TABLE IF EXISTS err_people');
      await session.query('CREATE TABLE err_people (id INT PRIMARY KEY, name VARCHAR(20))');
      // sluice's own state tables, as a pipeline leaves them in the target database.
      await ensureStateTables(session);
    });
    db = await connect(endpointUrl(stack.single));
  });

  afterAll(async () => {
    await db.close();
    await withSession(stack.single, (session) => session.query('DROP TABLE IF EXISTS err_people'));
  });

  it("a syntax error in db.sql() is the server's message about the user's text, not sluice's wrapper", async () => {
    const text = 'SELECT id FROM err_people WHER id < 3';
    const error = await failure(db.sql(text).collect());
    expect(error).toBeInstanceOf(DatabaseError);
    expect(error.message).toMatch(/You have an error in your SQL syntax; .* near 'id < 3' at line 1/);
    expect(error.message).toContain(`in sql() text: ${text}`);
    expect(error.message).not.toMatch(/sluice_probe|LIMIT 0/);
    expect((error as DatabaseError).errno).toBe(1064);
    expect((error.cause as { code?: string }).code).toBe('ER_PARSE_ERROR');
  });

  it("a missing table suggests the close name and leaves out sluice's state tables", async () => {
    expect(db.tableNames()).toEqual(expect.arrayContaining(['err_people', 'sluice_pipelines']));
    const error = await failure(db.table('err_peple').collect());
    expect(error).toBeInstanceOf(PlanError);
    expect(error.message).toMatch(/^no table 'err_peple' in .* \(did you mean 'err_people'\?\); tables: /);
    expect(error.message).toContain('err_people');
    expect(error.message).not.toMatch(/sluice_/);

    // Through SQL text the server finds it missing; the same suggestion is added to its message.
    const fromSql = await failure(db.sql('SELECT * FROM err_peple').collect());
    expect(fromSql.message).toMatch(/Table 'sluice.err_peple' doesn't exist \(did you mean 'err_people'\?\)/);
    expect(fromSql.message).not.toMatch(/sluice_(pipelines|offsets|batches|errors)/);
    expect((fromSql.cause as { code?: string }).code).toBe('ER_NO_SUCH_TABLE');
  });

  it('a missing column suggests the close name, in the DataFrame API and in SQL text', () => {
    expect(() => db.table('err_people').select('nmae').explain()).toThrow(
      "select: no column 'nmae' (did you mean 'name'?); available columns: id, name",
    );
    expect(() => db.sql('SELECT idd FROM err_people')).toThrow(/^no column 'idd' \(did you mean 'id'\?\)/);
  });
});

describe('the CLI', () => {
  async function sluice(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await run(
        process.execPath,
        [path.join(root, 'bin', 'sluice.mjs'), ...args],
        {
          cwd: root,
        },
      );
      return { code: 0, stdout, stderr };
    } catch (error) {
      return error as { code: number; stdout: string; stderr: string };
    }
  }

  it('answers a mistyped command with "did you mean" instead of the usage text', async () => {
    const typo = await sluice('stak', 'up');
    expect(typo.code).toBe(2);
    expect(typo.stderr).toBe(
      "sluice: error: unknown command 'stak up' (did you mean 'sluice stack up'?); 'sluice --help' lists the commands [USAGE]\n",
    );
    const pipeline = await sluice('pipeline', 'strat', 'p1');
    expect(pipeline.code).toBe(2);
    expect(pipeline.stderr).toMatch(/unknown command 'strat' \(did you mean 'sluice pipeline start'\?\)/);
  });

  it('prints its version with --version and -V', async () => {
    const { version } = (await import('../../package.json', { with: { type: 'json' } })).default;
    for (const flag of ['--version', '-V']) {
      const result = await sluice(flag);
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(`${version}\n`);
    }
  });
});
