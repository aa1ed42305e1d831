import { describe, expect, it } from 'vitest';
import { loadDataSql } from '../../../src/db/driver.ts';
import { quoteIdentifier, quoteTableName } from '../../../src/sql/identifiers.ts';
import { insertSql } from '../../../src/writer/bulk-writer.ts';

describe('identifier quoting', () => {
  it('quotes a name as one identifier, doubling backticks, dots included', () => {
    expect(quoteIdentifier('order')).toBe('`order`');
    expect(quoteIdentifier('a`b')).toBe('`a``b`');
    expect(quoteIdentifier('payload.id')).toBe('`payload.id`');
  });

  it('reads a table name as database-qualified where a user names a table', () => {
    expect(quoteTableName('shop.orders')).toBe('`shop`.`orders`');
    expect(quoteTableName('orders')).toBe('`orders`');
    expect(loadDataSql('shop.orders', ['a.b'])).toContain('INTO TABLE `shop`.`orders` ');
    expect(loadDataSql('shop.orders', ['a.b'])).toMatch(/\(`a\.b`\)$/);
    expect(insertSql('shop.orders', ['id'], 'append')).toBe('INSERT INTO `shop`.`orders` (`id`) VALUES ?');
  });
});
