/**
 * The `tessera` command line (commander). Each command group lives in commands/<name>.ts
 * and is registered from commands/index.ts. Errors print their stable code; the exit
 * status is 1 for a failure, 2 for a usage error, and 3 when a request ends denied or
 * failed (docs/cli.md "Exit statuses").
 */
import { Command, CommanderError } from 'commander';
import { hresultOf } from '../../errors/registry.js';
import { asTesseraError } from '../../errors/TesseraError.js';
import { CliContext } from './CliContext.js';
import { COMMANDS } from './commands/index.js';

export function buildProgram(ctx?: CliContext): { program: Command; ctx: CliContext } {
  const program = new Command('tessera')
    .description('Tessera: a certificate authority with web enrollment for smart card certificates')
    .option('-d, --data <dir>', 'data directory (default: $TESSERA_DATA or ./data)')
    .option('--json', 'machine-readable JSON output')
    .showHelpAfterError()
    .exitOverride();
  const context = ctx ?? new CliContext(() => program.opts());
  context.attach(() => program.opts());
  // Before the commands are registered, so every subcommand inherits it (tests capture it).
  program.configureOutput({ writeOut: (s) => context.stdout.write(s), writeErr: (s) => context.stderr.write(s) });
  for (const register of COMMANDS) register(program, context);
  return { program, ctx: context };
}

export async function run(argv: string[], ctx?: CliContext): Promise<number> {
  const { program, ctx: context } = buildProgram(ctx);
  let status = 0;
  context.exitStatus = 0;
  try {
    await program.parseAsync(argv);
    status = context.exitStatus;
  } catch (e) {
    status = report(e, context);
  } finally {
    await context.close().catch(() => {});
  }
  if (!ctx) process.exitCode = status;
  return status;
}

function report(e: unknown, ctx: CliContext): number {
  if (e instanceof CommanderError) {
    // Help and version exit 0; usage errors were already printed by commander.
    return e.exitCode === 0 ? 0 : 2;
  }
  // The store's errors are already registry errors (store/storageErrors.ts).
  const err = asTesseraError(e);
  if (ctx.json) {
    ctx.stderr.write(
      `${JSON.stringify({
        error: { code: err.code, message: err.message, detail: err.detail ?? null, hresult: hresultOf(err.code) },
      })}\n`,
    );
  } else {
    ctx.stderr.write(`tessera: ${err.describe()} [${err.code}]\n`);
    if (err.code === 'INTERNAL' && process.env.TESSERA_DEBUG)
      ctx.stderr.write(`${(err.cause as Error)?.stack ?? ''}\n`);
  }
  return 1;
}
