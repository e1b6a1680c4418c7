/**
 * `tessera check`: the built-in self-audit (docs/security.md §3) — the Certipy
 * `find` predicates ESC1/2/3/4/6/7/9/13/15/16/17 as they apply to Tessera, and Tessera's
 * own checks, against the live data directory (src/check/). Exit status 1 when a finding
 * of severity high exists (SELF_AUDIT_FAILED), after the findings are printed.
 */
import type { Command } from 'commander';
import { selfAudit } from '../../../check/selfAudit.js';
import { TesseraError } from '../../../errors/TesseraError.js';
import type { CliContext } from '../CliContext.js';

function parseAt(v: string): Date {
  const d = new Date(v);
  if (!/^\d{4}-\d{2}-\d{2}/.test(v) || Number.isNaN(d.getTime()))
    throw new TesseraError(
      'INPUT_INVALID',
      `--at ${v}: an ISO 8601 date or time, e.g. 2027-01-31 or 2027-01-31T12:00:00Z`,
    );
  return d;
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('check')
    .description(
      'self-audit: the Certipy find predicates (ESC1/2/3/4/6/7/9/13/15/16/17) and Tessera ' +
        'checks against this data directory; exit status 1 on a high-severity finding',
    )
    .option(
      '--at <time>',
      'judge CRLs, the OCSP signer and CA certificates as of this time ' +
        '(ISO 8601; default now), e.g. to see what expires within a month',
    )
    .option('--all', 'also list every rule with its status (pass, not applicable, skipped) and why')
    .action(async (o) => {
      const now = o.at !== undefined ? parseAt(o.at) : new Date();
      // Open as the server would (stored templates checked): its failure is the startup finding.
      const report = await selfAudit(ctx.dataDir, {
        now,
        open: () => ctx.tessera({ withIssuingKey: false, checkTemplates: true }),
      });
      const s = report.summary;
      ctx.out.result(report, () => {
        ctx.out.line(
          `Self-audit of ${ctx.dataDir} at ${report.at.toISOString().replace(/\.\d{3}Z$/, 'Z')}: ` +
            `${s.high} high, ${s.medium} medium, ${s.low} low, ${s.info} info`,
        );
        ctx.out.line();
        if (report.findings.length) {
          ctx.out.table(report.findings, [
            { header: 'Severity', value: (f) => f.severity },
            { header: 'Rule', value: (f) => f.rule },
            { header: 'Object', value: (f) => f.object },
            { header: 'Finding', value: (f) => f.finding },
            { header: 'Fix', value: (f) => f.fix },
          ]);
          ctx.out.line();
        }
        if (o.all) {
          ctx.out.table(report.rules, [
            { header: 'Rule', value: (r) => r.rule },
            { header: 'Status', value: (r) => r.status },
            { header: 'Checks', value: (r) => r.title },
            { header: 'Note', value: (r) => r.note },
          ]);
        } else {
          ctx.out.line(`Rules: ${report.rules.map((r) => `${r.rule} ${r.status}`).join(', ')}`);
          ctx.out.line('(`tessera check --all` shows what each rule checks and why it passed.)');
        }
      });
      if (s.high > 0) {
        const high = report.findings.filter((f) => f.severity === 'high').map((f) => `${f.rule} (${f.object})`);
        throw new TesseraError('SELF_AUDIT_FAILED', `${s.high} high-severity finding(s): ${high.join(', ')}`);
      }
    });
}
