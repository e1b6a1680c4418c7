import { InvalidArgumentError, type Command } from 'commander';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dataPaths } from '../../../config/dataPaths.js';
import { createDemo } from '../../../setup/createDemo.js';
import { Tessera } from '../../../Tessera.js';
import { startServer, type ServeOptions } from '../../http/startServer.js';
import type { CliContext } from '../CliContext.js';

const fingerprint = (der: Buffer) =>
  createHash('sha256').update(der).digest('hex').toUpperCase().match(/../g)!.join(':');

function nonNegativeInteger(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('a whole number, 0 or more');
  return n;
}

function serveOptions(program: Command): Command {
  return (
    program
      .option('--host <address>', 'address to listen on (default from tessera.json: 0.0.0.0)')
      .option('--port <port>', 'HTTPS port (default 8443)', (v) => Number(v))
      .option(
        '--http-port <port>',
        'plain-HTTP port for /pki, /ocsp and redirects; 0 turns it off (default 8080)',
        (v) => Number(v),
      )
      .option('--no-client-certificates', 'do not ask browsers and clients for a client certificate')
      .option(
        '--signin-port <port>',
        'smart card sign-in (mTLS) port, /signin; 0 turns it off (default from tessera.json signin.port: off)',
        nonNegativeInteger,
      )
      // Benchmarks and trusted automation (bench/README.md): the defaults suit people, not load tests.
      .option(
        '--enroll-rate-limit <n>',
        'enrollment requests per user per minute (per client address: ' +
          'ten times this); 0 turns both limits off (default 120)',
        nonNegativeInteger,
      )
      .option('--quiet', 'no request log')
  );
}

async function serve(
  ctx: CliContext,
  o: Record<string, unknown>,
  banner?: (t: Tessera, url: string) => void,
  defaults: { signinPort?: number } = {},
): Promise<void> {
  const t = await Tessera.open(ctx.dataDir, { withIssuingKey: true });
  const s = await startServer(t, {
    host: o.host as string | undefined,
    port: o.port as number | undefined,
    httpPort: o.httpPort as number | undefined,
    requestClientCertificates: o.clientCertificates as boolean,
    signinPort: (o.signinPort as number | undefined) ?? defaults.signinPort,
    logger: !o.quiet,
    limits:
      o.enrollRateLimit === undefined
        ? undefined
        : {
            enrollPerMinutePerUser: o.enrollRateLimit as number,
            enrollPerMinutePerAddress: (o.enrollRateLimit as number) * 10,
          },
    handleSignals: true,
  } satisfies ServeOptions);
  const root = t.chain().at(-1)!;
  process.stdout.write(
    `\nTessera is serving ${s.httpsUrl}/certsrv/ (REST API ${s.httpsUrl}/api/v1, plain HTTP ${s.httpUrl ?? 'off'})\n`,
  );
  if (s.signin) process.stdout.write(`Smart card sign-in ("Test my smart card"): ${s.signin.url}/signin\n`);
  process.stdout.write(`Root CA SHA-256 fingerprint: ${fingerprint(root)}\n`);
  banner?.(t, s.httpsUrl);
  // Keep running until a signal; startServer's handlers close everything.
  await new Promise(() => {});
}

export function register(program: Command, ctx: CliContext): void {
  serveOptions(
    program.command('serve').description('serve the enrollment site, the REST API, CRLs and OCSP over HTTPS'),
  ).action((o) => serve(ctx, o));

  serveOptions(
    program
      .command('start')
      .description('the quick start: create a demo organisation in the data directory if there is none, then serve it'),
  ).action(async (o) => {
    const paths = dataPaths(ctx.dataDir);
    if (!existsSync(paths.config)) {
      process.stdout.write(`Creating the demo organisation in ${paths.dir} …\n`);
      const accounts = await createDemo(paths.dir, { port: o.port ?? 8443, httpPort: o.httpPort ?? 8080 });
      process.stdout.write(`\nDemo accounts (shown once; also in ${paths.demoCredentials}, mode 0600):\n`);
      for (const a of accounts) process.stdout.write(`  ${a.username.padEnd(8)} ${a.password}   ${a.role}\n`);
      process.stdout.write(
        '\nEnroll on behalf works out of the box: agent may enroll members of ' +
          'Smartcard Users (alice, bob) for Smartcard User and Smartcard Logon\n' +
          '  (Enrollment Agents have Enroll on both templates, and an enrollment ' +
          'agent restriction allows them; see `tessera agent list`).\n',
      );
    } else {
      process.stdout.write(
        `Using the existing data directory ${paths.dir}` +
          `${existsSync(paths.demoCredentials) ? ` (demo passwords in ${paths.demoCredentials})` : ''}\n`,
      );
    }
    await serve(
      ctx,
      o,
      (t, url) => {
        // One write: whoever reads the output (a terminal, a supervisor's log, a test waiting
        // for "Open https://") gets the closing lines together, not in pieces.
        process.stdout.write(
          'To trust it, import the root CA certificate ' +
            `${t.paths.caCert(t.chain().length > 1 ? 'root' : t.config.issuingCa)}\n` +
            `  (or download it from ${url}/certsrv/certcarc.asp) into your ` +
            `browser or system trust store and compare the fingerprint.\n` +
            `Open ${url}/certsrv/ and sign in as alice to enroll for a Smartcard User certificate.\n` +
            'Sign in as agent to enroll alice or bob for Smartcard User or ' +
            `Smartcard Logon at ${url}/certsrv/certsces.asp (first request an ` +
            `Enrollment Agent certificate on the advanced request page).\n\n`,
        );
        // The demo shows the whole story: enroll, then sign in with the card (8444 unless --signin-port).
      },
      { signinPort: 8444 },
    );
  });
}
