/**
 * `tessera template …`: list, show, edit, copy and grant certificate templates. Every
 * change goes through ra/admin/templates.ts, which validates the whole template
 * (template/validateTemplate.ts, naming the rule it breaks) and audits the before/after.
 */
import type { Command } from 'commander';
import { saveTemplate, setTemplateGrant } from '../../../ra/admin/templates.js';
import { TesseraError } from '../../../errors/TesseraError.js';
import type { Template } from '../../../template/Template.js';
import { withTemplateDefaults } from '../../../template/withTemplateDefaults.js';
import type { Tessera } from '../../../Tessera.js';
import { applyTemplateSettings, parseAssignments } from '../applyTemplateSettings.js';
import type { CliContext } from '../CliContext.js';
import { describeTemplate, ekuName } from '../describeTemplate.js';
import { duplicateTemplate } from '../duplicateTemplate.js';
import { readInputFile } from '../readInputFile.js';

async function load(t: Tessera, name: string): Promise<Template> {
  const tpl = await t.templates.get(name);
  if (!tpl) throw new TesseraError('TEMPLATE_UNKNOWN', name);
  return tpl;
}

/**
 * The stored definition as it is, valid or not: `template set` starts from it, so a
 * template made invalid in the database can be repaired (the result is validated on save).
 */
async function loadStored(t: Tessera, name: string): Promise<Template> {
  const row = await t.store.templates.get(name);
  if (!row || typeof row.definition !== 'object' || row.definition === null)
    throw new TesseraError('TEMPLATE_UNKNOWN', name);
  // Fields newer than the stored definition appear with their defaults, so they can be set.
  return { ...withTemplateDefaults(row.definition as Template), name: row.name };
}

export function register(program: Command, ctx: CliContext): void {
  const template = program.command('template').description('certificate templates');

  template
    .command('list')
    .description('list templates')
    .action(
      ctx.withTessera(async (t) => {
        const rows = await t.templates.list();
        ctx.out.table(rows, [
          { header: 'NAME', value: (r) => r.name },
          { header: 'DISPLAY NAME', value: (r) => r.displayName },
          { header: 'SCHEMA', value: (r) => r.schemaVersion },
          { header: 'VALIDITY', value: (r) => `${r.validityDays}d` },
          { header: 'APPROVAL', value: (r) => (r.issuance.managerApproval ? 'manager' : '') },
          { header: 'ENABLED', value: (r) => (r.enabled ? 'yes' : 'no') },
          { header: 'ENROLL', value: (r) => r.enroll },
          { header: 'EKU', value: (r) => r.ekus.map((e) => ekuName(e).replace(/ \(.*\)$/, '')) },
        ]);
      }),
    );

  template
    .command('show')
    .description('show a template in words (--json: its definition, for `template set --file`)')
    .argument('<name>')
    .action(
      ctx.withTessera(async (t, name: string) => {
        const tpl = await load(t, name);
        const stored = await t.store.templates.get(tpl.name);
        ctx.out.fields(
          [
            ...describeTemplate(tpl),
            [
              'Saved',
              stored ? `version ${stored.version}, ${stored.updatedAt.toISOString()} by ${stored.updatedBy}` : '',
            ],
          ],
          tpl,
        );
      }),
    );

  template
    .command('set')
    .description('change fields (dotted paths into the definition) or replace it from a JSON file')
    .argument('<name>')
    .argument('[settings...]', 'key=value, e.g. validityDays=730 issuance.managerApproval=true ekus=OID,OID')
    .option('--file <file>', 'the whole definition as JSON (as printed by `template show NAME --json`)')
    .action(async (name: string, settings: string[], o) => {
      if (!o.file && settings.length === 0)
        throw new TesseraError('INPUT_INVALID', 'nothing to set: give key=value settings or --file');
      if (o.file && settings.length)
        throw new TesseraError('INPUT_INVALID', 'give either key=value settings or --file, not both');
      const assignments = parseAssignments(settings);
      const t = await ctx.tessera();
      const actor = await ctx.actor();
      const current = await loadStored(t, name);
      let next: unknown;
      let changes: { path: string; before: unknown; after: unknown }[] = [];
      if (o.file) {
        const text = (await readInputFile(o.file)).toString('utf8');
        try {
          next = JSON.parse(text);
        } catch (e) {
          throw new TesseraError('TEMPLATE_INVALID', `${o.file} is not JSON: ${(e as Error).message}`);
        }
        const fileName = (next as { name?: unknown } | null)?.name;
        if (fileName !== current.name)
          throw new TesseraError(
            'TEMPLATE_INVALID',
            `${o.file} defines template "${String(fileName)}", not ${current.name}`,
          );
      } else {
        const applied = applyTemplateSettings(current as unknown as Record<string, unknown>, assignments);
        next = applied.definition;
        changes = applied.changes;
      }
      const { template: saved, version } = await saveTemplate(t, actor, next);
      const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
      ctx.out.result({ name: saved.name, version, changes, template: saved }, () => {
        ctx.out.line(`Saved ${saved.name} (version ${version})`);
        for (const c of changes) ctx.out.line(`  ${c.path}: ${show(c.before)} -> ${show(c.after)}`);
      });
    });

  template
    .command('create')
    .description(
      'duplicate a template (AD CS "Duplicate Template"): a schema version 2 copy with a new OID and no Enroll grants',
    )
    .argument('<new-name>')
    .requiredOption('--from <existing>', 'the template to copy')
    .option('--display-name <name>', 'display name (default: "Copy of <display name>")')
    .action(
      ctx.withTessera(async (t, newName: string, o) => {
        const actor = await ctx.actor();
        const source = await load(t, o.from);
        const { template: saved, version } = await saveTemplate(
          t,
          actor,
          duplicateTemplate(source, newName, o.displayName),
          { create: true },
        );
        ctx.out.result({ name: saved.name, version, template: saved }, () => {
          ctx.out.line(`Created ${saved.name} from ${source.name}: schema version 2, OID ${saved.oid}`);
          ctx.out.line(`  Nobody may enroll yet: tessera template grant ${saved.name} GROUP`);
        });
      }),
    );

  for (const [name, grant] of [
    ['grant', true],
    ['revoke-grant', false],
  ] as const) {
    template
      .command(name)
      .description(
        grant ? 'give a group the Enroll permission on a template' : 'take the Enroll permission away from a group',
      )
      .argument('<template>')
      .argument('<group>')
      .action(
        ctx.withTessera(async (t, templateName: string, group: string) => {
          const saved = await setTemplateGrant(t, await ctx.actor(), templateName, group, grant);
          ctx.out.result(
            { name: saved.name, enroll: saved.enroll },
            `${saved.name}: Enroll ${grant ? 'granted to' : 'revoked from'} ` +
              `${group}; Enroll: ${saved.enroll.join(', ') || '(nobody)'}`,
          );
        }),
      );
  }
}
