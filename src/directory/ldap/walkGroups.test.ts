/** The bounded breadth-first walk over nested groups, on in-memory graphs. */
import { describe, expect, it } from 'vitest';
import { walkGroups, type GroupRef } from './walkGroups.js';

/** parent → children edges; parentsOf answers like one LDAP search per level. */
function graph(edges: Record<string, string[]>) {
  const searches: string[][] = [];
  const parentsOf = async (dns: readonly string[]): Promise<GroupRef[]> => {
    searches.push([...dns]);
    const want = new Set(dns.map((d) => d.toLowerCase()));
    return Object.entries(edges)
      .filter(([, members]) => members.some((m) => want.has(m.toLowerCase())))
      .map(([parent]) => ({ dn: parent, name: /^cn=([^,]+)/i.exec(parent)?.[1] }));
  };
  return { parentsOf, searches };
}
const g = (cn: string): GroupRef => ({ dn: `cn=${cn},ou=G`, name: cn });
const names = (r: { groups: readonly GroupRef[] }) => r.groups.map((x) => x.name).sort();

describe('walkGroups', () => {
  it('follows nesting level by level, one search per level', async () => {
    const { parentsOf, searches } = graph({ 'cn=B,ou=G': ['cn=A,ou=G'], 'cn=C,ou=G': ['cn=B,ou=G'] });
    const r = await walkGroups({ start: [g('A')], parentsOf, maxDepth: 8, maxGroups: 100 });
    expect(names(r)).toEqual(['A', 'B', 'C']);
    expect(r.truncated).toBeNull();
    expect(searches).toEqual([['cn=A,ou=G'], ['cn=B,ou=G'], ['cn=C,ou=G']]);
  });

  it('visits each group of a cycle once and ends', async () => {
    const { parentsOf, searches } = graph({ 'cn=A,ou=G': ['cn=B,ou=G'], 'cn=B,ou=G': ['cn=A,ou=G'] });
    const r = await walkGroups({ start: [g('A')], parentsOf, maxDepth: 64, maxGroups: 100 });
    expect(names(r)).toEqual(['A', 'B']);
    expect(searches.length).toBeLessThanOrEqual(2);
  });

  it('compares DNs, not spellings (CN=A vs cn=a)', async () => {
    const { parentsOf } = graph({ 'CN=A,OU=G': ['cn=B,ou=G'] });
    const r = await walkGroups({ start: [g('A'), g('B')], parentsOf, maxDepth: 8, maxGroups: 100 });
    expect(r.groups).toHaveLength(2);
  });

  it('collects a diamond once', async () => {
    const { parentsOf } = graph({
      'cn=B,ou=G': ['cn=A,ou=G'],
      'cn=C,ou=G': ['cn=A,ou=G'],
      'cn=D,ou=G': ['cn=B,ou=G', 'cn=C,ou=G'],
    });
    expect(names(await walkGroups({ start: [g('A')], parentsOf, maxDepth: 8, maxGroups: 100 }))).toEqual([
      'A',
      'B',
      'C',
      'D',
    ]);
  });

  it('stops at maxDepth levels above the direct groups and says so', async () => {
    const edges: Record<string, string[]> = {};
    for (let i = 2; i <= 20; i++) edges[`cn=G${i},ou=G`] = [`cn=G${i - 1},ou=G`];
    const { parentsOf, searches } = graph(edges);
    const r = await walkGroups({ start: [g('G1')], parentsOf, maxDepth: 3, maxGroups: 100 });
    expect(names(r)).toEqual(['G1', 'G2', 'G3', 'G4']);
    expect(r.truncated).toBe('depth');
    expect(searches).toHaveLength(3);
  });

  it('stops at maxGroups and says so', async () => {
    const wide: Record<string, string[]> = {};
    for (let i = 0; i < 50; i++) wide[`cn=P${i},ou=G`] = ['cn=A,ou=G'];
    const { parentsOf } = graph(wide);
    const r = await walkGroups({ start: [g('A')], parentsOf, maxDepth: 8, maxGroups: 10 });
    expect(r.groups).toHaveLength(10);
    expect(r.truncated).toBe('size');
  });

  it('keeps the name a later search knows for a group first seen by DN only (memberOf)', async () => {
    const { parentsOf } = graph({});
    const r = await walkGroups({
      start: [{ dn: 'cn=A,ou=G', name: undefined }, g('A')],
      parentsOf,
      maxDepth: 8,
      maxGroups: 100,
    });
    expect(r.groups).toEqual([g('A')]);
  });
});
