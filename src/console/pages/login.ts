import { html, type Html } from '../html.js';
import { M } from '../messages.js';

/** Sign-in needs no CSRF token: it opens a session and changes nothing else. */
export function loginPage(next: string, error?: string): Html {
  return html`${error ? html`<p class="notice bad" role="alert">${error}</p>` : ''}
<form class="stack" method="post" action="/console/login">
<input type="hidden" name="next" value="${next}">
<div><label for="login-user">${M.auth.user}</label><input id="login-user" name="user" autocomplete="username" required autofocus maxlength="64"></div>
<div><label for="login-password">${M.auth.password}</label><input id="login-password" name="password" type="password" autocomplete="current-password" required maxlength="1024"></div>
<div><button type="submit">${M.auth.submit}</button></div>
</form>`;
}
