/**
 * Template administration: save (validated), grant and revoke Enroll. Every save is
 * validated by template/validateTemplate.ts and audited with the before/after versions.
 */
import type { Tessera } from '../../Tessera.js';
import { TesseraError } from '../../errors/TesseraError.js';
import type { Template } from '../../template/Template.js';
import { validateTemplate } from '../../template/validateTemplate.js';
import { actorName, requireRole, type Actor } from '../Actor.js';

export async function saveTemplate(
  t: Tessera,
  actor: Actor,
  input: unknown,
  opts: { create?: boolean } = {},
): Promise<{ template: Template; version: number }> {
  requireRole(actor, t.config, 'caAdministrators');
  const template = validateTemplate(input);
  for (const g of template.enroll) {
    if (!(await t.directory.groupExists(g)))
      throw new TesseraError(
        'TEMPLATE_INVALID',
        `${template.name}: enroll group "${g}" does not exist in the directory`,
      );
  }
  return t.store.transaction(async (tx) => {
    const before = await tx.templates.get(template.name);
    if (opts.create && before) throw new TesseraError('ALREADY_EXISTS', `template ${template.name}`);
    if (!opts.create && !before) throw new TesseraError('NOT_FOUND', `template ${template.name}`);
    if (before && before.name !== template.name)
      throw new TesseraError('ALREADY_EXISTS', `template ${before.name} differs only in case`);
    const version = await tx.templates.put(template.name, template, actorName(actor), t.now());
    await tx.audit.append({
      actor: actorName(actor),
      action: opts.create ? 'template.created' : 'template.changed',
      target: template.name,
      source: actor.source,
      details: { version, before: before?.definition ?? null, after: template },
    });
    return { template, version };
  });
}

export async function setTemplateGrant(
  t: Tessera,
  actor: Actor,
  name: string,
  group: string,
  grant: boolean,
): Promise<Template> {
  requireRole(actor, t.config, 'caAdministrators');
  const current = await t.templates.get(name);
  if (!current) throw new TesseraError('TEMPLATE_UNKNOWN', name);
  const has = current.enroll.some((g) => g.toLowerCase() === group.toLowerCase());
  if (grant && has) return current;
  if (!grant && !has) throw new TesseraError('NOT_FOUND', `${group} has no Enroll grant on ${name}`);
  const enroll = grant
    ? [...current.enroll, group]
    : current.enroll.filter((g) => g.toLowerCase() !== group.toLowerCase());
  return (await saveTemplate(t, actor, { ...current, enroll })).template;
}
