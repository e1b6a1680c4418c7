/**
 * The order in which the enrollment pages list templates (AD CS lists the templates the CA
 * offers in the order they were added to it; Tessera's store keeps them by name). The
 * configured names (`web.templateOrder` in tessera.json) come first, in that order; every
 * other template follows in the order given, which is by name from the store.
 */
import type { Template } from './Template.js';

export function catalogOrder<T extends Pick<Template, 'name'>>(
  templates: readonly T[],
  order: readonly string[] = [],
): T[] {
  const rank = new Map(order.map((n, i) => [n.toLowerCase(), i]));
  const at = (t: T) => rank.get(t.name.toLowerCase()) ?? order.length;
  // Array.prototype.sort is stable (ES2019): unnamed templates keep the store's order.
  return [...templates].sort((a, b) => at(a) - at(b));
}
