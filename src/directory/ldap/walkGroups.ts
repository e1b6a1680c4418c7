/**
 * Nested group membership where the directory cannot compute it (OpenLDAP, or Active
 * Directory with nestedGroups "walk"): a breadth-first walk up the `member` graph, one
 * search per level. Cycle-safe (each group is visited once, compared by DN), bounded in
 * depth (maxDepth levels above the direct groups) and in size (maxGroups).
 */
import { dnKey } from './dn.js';

export interface GroupRef {
  /** The group's DN as the server wrote it. */
  readonly dn: string;
  /** Its name (cn), when known. */
  readonly name: string | undefined;
}

export interface WalkResult {
  readonly groups: readonly GroupRef[];
  /** Set when a limit stopped the walk: deeper or further groups were not collected. */
  readonly truncated: 'depth' | 'size' | null;
}

export interface WalkOptions {
  /** The user's direct groups. */
  readonly start: readonly GroupRef[];
  /** Groups that list any of `dns` as a member (one search). */
  readonly parentsOf: (dns: readonly string[]) => Promise<readonly GroupRef[]>;
  /** Levels of nesting followed above the direct groups. */
  readonly maxDepth: number;
  readonly maxGroups: number;
}

const keyOf = (dn: string): string => {
  try {
    return dnKey(dn);
  } catch {
    return dn.toLowerCase();
  }
};

export async function walkGroups(o: WalkOptions): Promise<WalkResult> {
  const seen = new Map<string, GroupRef>();
  let frontier: GroupRef[] = [];
  const add = (g: GroupRef): boolean => {
    const k = keyOf(g.dn);
    const known = seen.get(k);
    if (known) {
      // A later sighting may know the name (memberOf gives DNs only).
      if (!known.name && g.name) seen.set(k, g);
      return false;
    }
    seen.set(k, g);
    return true;
  };
  for (const g of o.start) if (add(g)) frontier.push(g);
  if (seen.size > o.maxGroups) return { groups: [...seen.values()].slice(0, o.maxGroups), truncated: 'size' };
  for (let depth = 0; frontier.length > 0; depth++) {
    if (depth >= o.maxDepth) return { groups: [...seen.values()], truncated: 'depth' };
    const next: GroupRef[] = [];
    for (const parent of await o.parentsOf(frontier.map((g) => g.dn))) {
      if (add(parent)) next.push(parent);
      if (seen.size > o.maxGroups) return { groups: [...seen.values()].slice(0, o.maxGroups), truncated: 'size' };
    }
    frontier = next;
  }
  return { groups: [...seen.values()], truncated: null };
}
