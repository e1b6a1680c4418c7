/** Sign-in with directory credentials (form login; scripts use HTTP Basic). No NTLM (ESC8). */
import { html } from '../html.js';
import type { Page } from '../Layout.js';

export function signinPage(o: { returnTo: string; error?: string; username?: string }): Page {
  return {
    id: 'signin',
    title: 'Sign in',
    body: html`<p>Sign in with your directory account to request certificates.</p>
<form method="post" action="/certsrv/signin" class="signin">
<input type="hidden" name="return" value="${o.returnTo}">
<label for="username">User name</label> <input id="username" name="username" autocomplete="username" \
value="${o.username ?? ''}" required autofocus aria-describedby="signinError">
<label for="password">Password</label> <input id="password" name="password" type="password" \
autocomplete="current-password" required aria-describedby="signinError">
${o.error ? html`<p class="error" id="signinError" role="alert">${o.error}</p>` : ''}
<p><button type="submit">Sign in</button></p>
</form>`,
  };
}
