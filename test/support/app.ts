/** The HTTPS application without a listener, for `app.inject()` tests, plus user helpers. */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { buildApp, type Limits } from '../../src/entry/http/buildApp.js';
import type { TestCa } from './tessera.js';

export async function buildTestApp(
  ca: TestCa,
  limits: Limits = { enrollPerMinutePerUser: 0, enrollPerMinutePerAddress: 0 },
): Promise<FastifyInstance> {
  return buildApp({ tessera: ca.t, sessionKey: randomBytes(32), limits });
}

export const PASSWORD = 'correct horse battery';

export function basic(user: string, password = PASSWORD): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
}
