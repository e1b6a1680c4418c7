/**
 * `tessera card-agent`: the local service the web enrollment page uses to reach the
 * user's smart cards (docs/cards.md "Card agent"). Runs until interrupted.
 */
import type { Command } from 'commander';
import { CardAgent } from '../../../client/cardAgent/CardAgent.js';
import { Pkcs11Module, resolveModulePath } from '../../../card/pkcs11/Pkcs11Module.js';
import { TesseraError } from '../../../errors/TesseraError.js';
import type { CliContext } from '../CliContext.js';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('card-agent')
    .description('serve the local card agent on 127.0.0.1 for the web enrollment pages of the given CA sites')
    .option('--port <port>', 'port on 127.0.0.1 (0: any free port)', (v) => Number(v), 8399)
    .option('--allow-origin <origin...>', 'web origin(s) allowed to use the agent, e.g. https://ca.example.com:8443')
    .option('--module <path>', 'PKCS#11 module: a path, "softhsm2" or "opensc"')
    .option(
      '--pin-attempts <n>',
      'wrong PINs in a row per card before the agent stops passing PINs for it',
      (v) => Number(v),
      5,
    )
    .action(async (o) => {
      const origins: string[] = o.allowOrigin ?? [];
      if (!origins.length)
        throw new TesseraError(
          'INPUT_INVALID',
          'name the CA site(s) that may use the agent: --allow-origin https://ca.example.com:8443',
        );
      if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535)
        throw new TesseraError('INPUT_INVALID', `--port ${o.port}`);
      const module = Pkcs11Module.acquire(resolveModulePath(o.module));
      const agent = new CardAgent({
        module,
        allowOrigins: origins,
        pinAttemptLimit: o.pinAttempts,
        log: (l) => process.stderr.write(`card-agent: ${l}\n`),
      });
      const { url, port } = await agent.listen(o.port);
      ctx.out.result({ url, port, origins: agent.origins, module: module.info }, () => {
        ctx.out.line(`Card agent listening on ${url} for ${agent.origins.join(', ')} (module ${module.info.path})`);
      });
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await agent.close();
      module.release();
    });
}
