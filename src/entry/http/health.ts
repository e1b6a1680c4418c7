/**
 * Liveness and readiness. `/healthz`: the process answers (anyone; it touches nothing).
 * `/readyz`: the database and the directory answer and the issuing key is loaded — a load
 * balancer stops sending enrollment traffic while the database is away, and resumes when
 * it is back. Each call reaches the database and the directory, so it is not for anyone:
 * without credentials only as `monitoring.readyzWithoutCredentials` says (default
 * loopback, a local orchestrator's probe; config/monitoringSettings.ts), and otherwise
 * for any signed-in account, by any authentication method.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { readyzAccess } from '../../config/monitoringSettings.js';
import { TesseraError } from '../../errors/TesseraError.js';
import type { Tessera } from '../../Tessera.js';
import { deadline } from '../../util/deadline.js';
import type { Authenticator } from './auth/Authenticator.js';
import { isLoopback } from './isLoopback.js';
import { toTesseraError } from './problem.js';

export async function healthRoutes(
  app: FastifyInstance,
  opts: { tessera: Tessera; auth: Authenticator },
): Promise<void> {
  const t = opts.tessera;
  const mayProbe = async (req: FastifyRequest) => {
    const access = readyzAccess(t.config);
    if (access === 'anyone' || (access === 'loopback' && isLoopback(req.ip))) return;
    if (!(await opts.auth.resolve(req)))
      throw new TesseraError(
        'AUTH_REQUIRED',
        `monitoring.readyzWithoutCredentials is "${access}": send an account's credentials`,
      );
  };
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (req, reply) => {
    await mayProbe(req);
    const checks: Record<string, string> = {};
    let ready = true;
    const check = async (name: string, fn: () => Promise<unknown>) => {
      try {
        await deadline(fn(), 2000, name);
        checks[name] = 'ok';
      } catch (e) {
        ready = false;
        checks[name] = toTesseraError(e).code;
      }
    };
    await check('database', () => t.store.ping());
    await check('directory', () => t.directory.findUser('~readyz-probe'));
    await check('issuingKey', async () => t.issuing);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', checks });
  });
}
