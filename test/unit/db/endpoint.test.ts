import { describe, expect, it } from 'vitest';
import { endpointUrl, parseDbUrl } from '../../../src/db/endpoint.ts';

describe('database URLs', () => {
  it('parses user, password, host, port and schema, decoding escapes', () => {
    expect(parseDbUrl('mysql://app:p%40ss%3Aword@db.local:3307/bench')).toEqual({
      host: 'db.local',
      port: 3307,
      user: 'app',
      password: 'p@ss:word',
      database: 'bench',
    });
  });

  it('defaults to root, port 3306 and the sluice schema', () => {
    expect(parseDbUrl('mariadb://127.0.0.1')).toEqual({
      host: '127.0.0.1',
      port: 3306,
      user: 'root',
      password: '',
      database: 'sluice',
    });
  });

  it('rejects other schemes and non-URLs, naming the setting', () => {
    expect(() => parseDbUrl('postgres://x/y', 'SLUICE_DB_URL')).toThrow(
      "SLUICE_DB_URL 'postgres://x/y' has scheme 'postgres'; valid schemes: mysql, mariadb, singlestore",
    );
    expect(() => parseDbUrl('not a url')).toThrow(/is not a URL/);
  });

  it('prints without the password', () => {
    const url = endpointUrl(parseDbUrl('mysql://app:secret@h:1234/d'));
    expect(url).toBe('mysql://app@h:1234/d');
    expect(url).not.toContain('secret');
  });
});
