/**
 * The valid_policy_tree of RFC 5280 §6.1.2 (a), processed by §6.1.3 (d)–(f), §6.1.4
 * (a)–(b) and §6.1.5 (g). Each node has a valid_policy, an expected_policy_set and its
 * children; depth 0 holds one anyPolicy node. Qualifiers are not kept (nothing here
 * interprets them).
 *
 * The tree can grow with the product of the policies and mappings of the path (the
 * policy-tree blow-up of OpenSSL CVE-2023-0464), so the number of nodes is capped: a
 * path that needs more is refused rather than allowed to take the process's time.
 */
import { TesseraError } from '../errors/TesseraError.js';
import type { PolicyMapping } from '../x509/certificatePolicies.js';
import { OID } from '../x509/oids.js';

const ANY = OID.anyPolicy;

interface Node {
  readonly validPolicy: string;
  expected: Set<string>;
  readonly parent?: Node;
  readonly children: Node[];
  readonly depth: number;
}

export const MAX_POLICY_NODES = 1000;

export class PolicyTree {
  /** levels[d]: the nodes at depth d; undefined once the tree is NULL. */
  #levels: Node[][] | undefined;
  #count = 1;

  constructor() {
    this.#levels = [[{ validPolicy: ANY, expected: new Set([ANY]), children: [], depth: 0 }]];
  }

  get isNull(): boolean {
    return this.#levels === undefined;
  }

  #add(parent: Node, validPolicy: string, expected: Iterable<string>): void {
    if (++this.#count > MAX_POLICY_NODES)
      throw new TesseraError(
        'SIGNIN_POLICY',
        `the certificate policy tree of this path grows beyond ${MAX_POLICY_NODES} nodes`,
      );
    const node: Node = { validPolicy, expected: new Set(expected), parent, children: [], depth: parent.depth + 1 };
    parent.children.push(node);
    const levels = this.#levels!;
    levels[node.depth] ??= [];
    levels[node.depth].push(node);
  }

  /** Delete childless nodes above `depth`, bottom up; NULL when the root goes. */
  #prune(depth: number): void {
    const levels = this.#levels!;
    for (let d = depth - 1; d >= 0; d--) {
      const keep = (levels[d] ?? []).filter((n) => n.children.length > 0);
      for (const n of levels[d] ?? []) if (!keep.includes(n)) this.#remove(n);
      levels[d] = keep;
    }
    if (!levels[0]?.length) this.#levels = undefined;
  }

  #remove(n: Node): void {
    if (n.parent) {
      const i = n.parent.children.indexOf(n);
      if (i >= 0) n.parent.children.splice(i, 1);
    }
    this.#count--;
  }

  /**
   * §6.1.3 (d), (e) for certificate i (1-based) with its certificatePolicies (undefined:
   * no extension). `anyPolicyAllowed`: inhibit_anyPolicy > 0, or i < n and certificate i
   * is self-issued.
   */
  processCertificate(i: number, policies: readonly string[] | undefined, anyPolicyAllowed: boolean): void {
    if (!this.#levels) return;
    if (!policies) {
      // (e): no certificate policies extension: the tree becomes NULL.
      this.#levels = undefined;
      return;
    }
    const parents = this.#levels[i - 1] ?? [];
    this.#levels[i] = [];
    // (d)(1)
    for (const p of policies) {
      if (p === ANY) continue;
      const matching = parents.filter((n) => n.expected.has(p));
      if (matching.length) for (const n of matching) this.#add(n, p, [p]);
      else for (const n of parents.filter((x) => x.validPolicy === ANY)) this.#add(n, p, [p]);
    }
    // (d)(2)
    if (policies.includes(ANY) && anyPolicyAllowed) {
      for (const n of parents) {
        for (const v of n.expected) {
          if (!n.children.some((c) => c.validPolicy === v)) this.#add(n, v, [v]);
        }
      }
    }
    // (d)(3)
    this.#prune(i);
  }

  /** §6.1.4 (b) for certificate i with policy mappings, `mappingAllowed` being policy_mapping > 0. */
  applyMappings(i: number, mappings: readonly PolicyMapping[], mappingAllowed: boolean): void {
    if (!this.#levels) return;
    const bySource = new Map<string, string[]>();
    for (const m of mappings) {
      const list = bySource.get(m.issuerDomainPolicy) ?? [];
      if (!list.includes(m.subjectDomainPolicy)) list.push(m.subjectDomainPolicy);
      bySource.set(m.issuerDomainPolicy, list);
    }
    const level = () => this.#levels?.[i] ?? [];
    for (const [idp, targets] of bySource) {
      if (mappingAllowed) {
        // (b)(1)
        const nodes = level().filter((n) => n.validPolicy === idp);
        if (nodes.length) for (const n of nodes) n.expected = new Set(targets);
        else {
          const any = level().find((n) => n.validPolicy === ANY);
          if (any?.parent) this.#add(any.parent, idp, targets);
        }
      } else {
        // (b)(2)
        const gone = level().filter((n) => n.validPolicy === idp);
        for (const n of gone) this.#remove(n);
        if (gone.length) {
          this.#levels![i] = level().filter((n) => !gone.includes(n));
          this.#prune(i);
          if (!this.#levels) return;
        }
      }
    }
  }

  /**
   * §6.1.5 (g): the intersection with the user-initial-policy-set (undefined: any-policy).
   * Returns the user-constrained policy set in the trust anchor's policy domain: the
   * valid policies of the nodes whose parent is anyPolicy (after (g) every node left
   * reaches depth n; anyPolicy stands for every policy), or undefined when the tree is NULL.
   */
  intersect(n: number, initial: readonly string[] | undefined): string[] | undefined {
    if (!this.#levels) return undefined;
    const levels = this.#levels;
    if (initial && !initial.includes(ANY)) {
      // (g)(iii)(1)–(2): the valid_policy_node_set are the nodes whose parent is anyPolicy.
      const set: Node[] = [];
      for (let d = 1; d <= n; d++)
        for (const node of levels[d] ?? []) if (node.parent?.validPolicy === ANY) set.push(node);
      for (const node of set) {
        if (node.validPolicy !== ANY && !initial.includes(node.validPolicy)) this.#deleteSubtree(node);
      }
      // (g)(iii)(3): an anyPolicy leaf at depth n is replaced by the initial policies its parent lacks.
      const anyLeaf = (levels[n] ?? []).find((x) => x.validPolicy === ANY);
      if (anyLeaf?.parent) {
        const parent = anyLeaf.parent;
        const present = new Set(set.map((x) => x.validPolicy));
        this.#deleteSubtree(anyLeaf);
        for (const p of initial) if (!present.has(p)) this.#add(parent, p, [p]);
      }
      // (g)(iii)(4)
      this.#prune(n);
      if (!this.#levels) return undefined;
    }
    if (!(this.#levels[n] ?? []).length) return undefined;
    const out = new Set<string>();
    for (let d = 1; d <= n; d++)
      for (const node of this.#levels[d] ?? []) if (node.parent?.validPolicy === ANY) out.add(node.validPolicy);
    return [...out];
  }

  #deleteSubtree(node: Node): void {
    const levels = this.#levels!;
    const stack = [node];
    while (stack.length) {
      const x = stack.pop()!;
      stack.push(...x.children);
      levels[x.depth] = (levels[x.depth] ?? []).filter((y) => y !== x);
      this.#count--;
    }
    if (node.parent) node.parent.children.splice(node.parent.children.indexOf(node), 1);
  }
}
