import { describe, expect, it } from 'vitest';
import { DatabaseError, describeError, reasonOf, StackError } from '../../src/base/errors.ts';

describe('errors', () => {
  it('describes an error with its details and causes, without a stack trace', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const error = new StackError('COMPONENT_FAILED', 'head', 'head (MariaDB) exited during startup', {
      cause,
      details: 'last lines of server.log:\n[ERROR] Aborting',
    });
    expect(describeError(error)).toBe(
      'error: head (MariaDB) exited during startup [COMPONENT_FAILED]\n' +
        'last lines of server.log:\n[ERROR] Aborting\n' +
        'caused by: connect ECONNREFUSED 127.0.0.1:1 [ECONNREFUSED]',
    );
  });

  it('keeps the driver error of a database error, and marks connection loss retriable', () => {
    const driver = Object.assign(new Error('gone'), { code: 'PROTOCOL_CONNECTION_LOST', errno: undefined });
    const error = new DatabaseError('query failed', driver);
    expect(error.cause).toBe(driver);
    expect(error.retriable).toBe(true);
    const syntax = Object.assign(new Error('syntax'), {
      code: 'ER_PARSE_ERROR',
      errno: 1064,
      sqlState: '42000',
    });
    expect(new DatabaseError('query failed', syntax)).toMatchObject({
      retriable: false,
      errno: 1064,
      sqlState: '42000',
    });
  });

  it('takes the reason from the cause: its message, an inner error of an AggregateError, or its code', () => {
    expect(reasonOf(new Error("Access denied for user 'x'@'127.0.0.1'"))).toBe(
      "Access denied for user 'x'@'127.0.0.1'",
    );
    // What net.connect gives for 'localhost' when both ::1 and 127.0.0.1 refuse: an empty message.
    const refused = Object.assign(
      new AggregateError([
        Object.assign(new Error('connect ECONNREFUSED ::1:1'), { code: 'ECONNREFUSED' }),
        Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
      ]),
      { code: 'ECONNREFUSED' },
    );
    expect(refused.message).toBe('');
    expect(reasonOf(refused)).toBe('connect ECONNREFUSED ::1:1');
    expect(reasonOf(Object.assign(new Error(''), { code: 'ETIMEDOUT' }))).toBe('ETIMEDOUT');
    expect(reasonOf('plain text')).toBe('plain text');
  });
});
