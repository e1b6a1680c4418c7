/**
 * AD CS "Duplicate Template": a copy of an existing template as a schema version 2
 * template with its own template OID, so certificates issued from it carry the v2
 * template-information extension (1.3.6.1.4.1.311.21.7) naming the copy, not the
 * original. Nobody may enroll until Enroll is granted explicitly.
 */
import { randomUUID } from 'node:crypto';
import type { Template } from '../../template/Template.js';

/**
 * X.667 / RFC 4122 §4: a UUID is an OID arc under 2.25, written as the UUID's 128-bit
 * value in decimal. A random (version 4) UUID needs no registration.
 */
export function uuidOid(uuid: string = randomUUID()): string {
  return `2.25.${BigInt(`0x${uuid.replace(/-/g, '')}`).toString(10)}`;
}

export function duplicateTemplate(source: Template, name: string, displayName?: string): Template {
  return {
    ...structuredClone(source),
    name,
    displayName: displayName ?? `Copy of ${source.displayName}`,
    schemaVersion: 2,
    oid: uuidOid(),
    // AD CS numbers a duplicated template's revisions from 100.
    majorVersion: 100,
    minorVersion: 0,
    enroll: [],
  };
}
