/**
 * Liveness and readiness. `/healthz`: the process answers. `/readyz`: the database and
 * the directory answer and the issuing key is loaded — a load balancer stops sending
 * enrollment traffic while the database is away, and resumes when it is back.
 */
import type { FastifyInstance } from 'fastify';
import type { Tessera } from '../../Tessera.js';
import { deadline } from '../../util/deadline.js';
import { toTesseraError } from './problem.js';

export async function healthRoutes(app: FastifyInstance, opts: { tessera: Tessera }): Promise<void> {
  const t = opts.tessera;
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
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
