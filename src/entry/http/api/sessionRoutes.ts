/**
 * /api/v1/session — sign in once with directory credentials and get a session cookie
 * (HttpOnly, Secure, SameSite=Strict) plus the anti-forgery token to send as
 * `x-csrf-token` on every state-changing request: the way an automation client avoids a
 * password check per request, and what the web pages use.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { SESSION_COOKIE } from '../auth/Authenticator.js';
import type { ApiContext } from './ApiContext.js';

export function setSessionCookie(reply: FastifyReply, token: string, expires: number, secure: boolean): void {
  reply.setCookie(SESSION_COOKIE, token, {
    httpOnly: true,
    secure,
    sameSite: 'strict',
    path: '/',
    expires: new Date(expires),
  });
}

export async function sessionRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  app.post(
    '/session',
    {
      schema: {
        body: {
          type: 'object',
          required: ['username', 'password'],
          additionalProperties: false,
          properties: {
            username: { type: 'string', minLength: 1, maxLength: 256 },
            password: { type: 'string', minLength: 1, maxLength: 1024 },
          },
        },
      },
    },
    async (req, reply) => {
      const { username, password } = req.body as { username: string; password: string };
      const { user, token, session } = await ctx.auth.signIn(username, password, req.ip);
      setSessionCookie(reply, token, session.expires, req.protocol === 'https');
      return {
        username: user.username,
        expires: new Date(session.expires).toISOString(),
        csrfToken: ctx.auth.sessions.csrf(session),
      };
    },
  );

  // Ends the session in the database, not only in this browser: the cookie is refused on
  // every node from now on, even if a copy of it was kept.
  app.delete('/session', async (req, reply) => {
    await ctx.auth.signOut(req);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return { signedOut: true };
  });
}
