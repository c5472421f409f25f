// Sign-in: an admin or application token, pasted once. It is posted to /ui/session, which
// answers with an HttpOnly cookie; the field is cleared and the token kept nowhere.
import { html, useState } from '../html.js';
import { signIn } from '../api.js';
import { Field } from '../ui.js';

export function SignIn({ onSignedIn, notice }) {
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event) => {
    event.preventDefault();
    const input = event.target.elements.token;
    setBusy(true);
    try {
      const session = await signIn(input.value.trim());
      input.value = '';
      onSignedIn(session);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return html`<section class="card narrow" aria-labelledby="signin-title">
    <h2 id="signin-title">Sign in</h2>
    ${notice ? html`<p class="banner">${notice}</p>` : null}
    <form onSubmit=${submit}>
      <${Field} label="API token" name="token" error=${error}
        hint="An admin token (every application) or an application's token (hksk_… or appsk_…).">
        ${(id, describedBy) => html`<input id=${id} name="token" type="password" required
          autocomplete="off" spellcheck="false" aria-describedby=${describedBy} />`}
      <//>
      ${error && error.field !== 'token' ? html`<p class="error" role="alert">${error.message}</p>` : null}
      <button type="submit" disabled=${busy}>Sign in</button>
    </form>
  </section>`;
}
