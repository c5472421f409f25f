// The dashboard's entry point. It shows whether this hookd is healthy (GET /health, which needs
// no token).
const app = document.getElementById('app');

function line(text, cls) {
  const p = document.createElement('p');
  p.textContent = text;
  if (cls) p.className = cls;
  return p;
}

// GET /health: 204 when healthy, 503 with the reasons otherwise.
async function showHealth() {
  try {
    const res = await fetch('/health');
    if (res.status === 204) {
      app.replaceChildren(line('hookd is running and healthy.', 'ok'));
      return;
    }
    const body = await res.json().catch(() => ({}));
    const reasons = Array.isArray(body.reasons) ? body.reasons : [`status ${res.status}`];
    app.replaceChildren(line('hookd is degraded:', 'bad'), ...reasons.map((r) => line(r, 'muted')));
  } catch (e) {
    app.replaceChildren(line(`hookd cannot be reached: ${e.message}`, 'bad'));
  }
}

showHealth();
