/**
 * The audit hash chain's primitives (chain.ts): each record's hash is an HMAC over the
 * previous hash and every field, so changing any of them, the order, or the key shows.
 */
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chainHash, GENESIS, headMac, makeHead, type AuditContent } from './chain.js';

const key = randomBytes(32);
const record: AuditContent = {
  seq: 7,
  at: Date.UTC(2026, 10, 25, 12, 0, 0),
  actor: 'carol',
  action: 'certificate.issued',
  target: 'alice',
  requestId: 42,
  serial: '4a'.repeat(16),
  source: '192.0.2.10',
  details: JSON.stringify({ template: 'SmartcardUser' }),
};

describe('chainHash', () => {
  it('is a deterministic 256-bit hex value', () => {
    const h = chainHash(key, GENESIS, record);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(chainHash(key, GENESIS, { ...record })).toBe(h);
  });

  it.each(Object.keys(record) as (keyof AuditContent)[])('changes when %s changes', (field) => {
    const changed = {
      ...record,
      [field]: typeof record[field] === 'number' ? (record[field] as number) + 1 : `${record[field]}x`,
    };
    expect(chainHash(key, GENESIS, changed)).not.toBe(chainHash(key, GENESIS, record));
  });

  it('distinguishes null from the string "null"', () => {
    expect(chainHash(key, GENESIS, { ...record, target: null })).not.toBe(
      chainHash(key, GENESIS, { ...record, target: 'null' }),
    );
  });

  it('changes with the previous hash, so records cannot be reordered', () => {
    expect(chainHash(key, 'a'.repeat(64), record)).not.toBe(chainHash(key, GENESIS, record));
  });

  it('needs the key: a plain SHA-256 over the same data, or another key, does not match', () => {
    const canonical = JSON.stringify([
      record.seq,
      record.at,
      record.actor,
      record.action,
      record.target,
      record.requestId,
      record.serial,
      record.source,
      record.details,
    ]);
    const unkeyed = createHash('sha256').update(GENESIS).update('\n').update(canonical).digest('hex');
    expect(unkeyed).not.toBe(chainHash(key, GENESIS, record));
    expect(chainHash(randomBytes(32), GENESIS, record)).not.toBe(chainHash(key, GENESIS, record));
  });
});

describe('the chain head', () => {
  it('authenticates the sequence number and hash together', () => {
    const h = makeHead(key, 7, 'b'.repeat(64));
    expect(h.mac).toBe(headMac(key, 7, 'b'.repeat(64)));
    expect(headMac(key, 6, 'b'.repeat(64))).not.toBe(h.mac);
    expect(headMac(key, 7, 'c'.repeat(64))).not.toBe(h.mac);
    expect(headMac(randomBytes(32), 7, 'b'.repeat(64))).not.toBe(h.mac);
  });
});
