/**
 * End every session of a user, inside the caller's transaction: a new password (OWASP
 * Session Management Cheat Sheet, "Renew the session ID after any privilege level
 * change"; NIST SP 800-63B §7.1), a disabled account, the loss of a role. The
 * rows are ended in the same commit as the change itself, so no node accepts one of the
 * user's cookies after it — or a password check remembered from before it
 * (store/SessionStore.ts, entry/http/auth/Authenticator.ts).
 */
import type { Store } from '../store/Store.js';
import { actorName, type Actor } from './Actor.js';

export type SessionEndReason = 'password_set' | 'account_disabled' | 'role_removed';

export async function endUserSessions(
  tx: Store,
  actor: Actor,
  username: string,
  reason: SessionEndReason,
  at: Date,
  details: Record<string, unknown> = {},
): Promise<number> {
  const ended = await tx.sessions.endAllFor(username, at, reason);
  if (ended > 0)
    await tx.audit.append({
      actor: actorName(actor),
      action: 'session.ended',
      target: username,
      source: actor.source,
      details: { reason, sessions: ended, ...details },
    });
  return ended;
}
