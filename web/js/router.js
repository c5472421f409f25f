// Routing in the browser: every dashboard page is the one shell (/ui/...), and the path picks
// the view. Links are ordinary <a href="/ui/..."> elements; a click on one is turned into a
// history entry instead of a page load.
import { useEffect, useState } from './html.js';

const listeners = new Set();

export function navigate(path, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  listeners.forEach((fn) => fn(location.pathname));
}

// Follows the back and forward buttons and turns clicks on /ui/ links into history entries;
// main.js calls it once.
export function startRouting() {
  window.addEventListener('popstate', () => listeners.forEach((fn) => fn(location.pathname)));
  document.addEventListener('click', (event) => {
    const link = event.target.closest && event.target.closest('a[href^="/ui/"]');
    if (!link || event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey || link.target) return;
    if (link.hasAttribute('download')) return;
    event.preventDefault();
    navigate(link.getAttribute('href'));
  });
}

export function usePath() {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    listeners.add(setPath);
    return () => listeners.delete(setPath);
  }, []);
  return path;
}

// Matches "/ui/app/:app/endpoint/:ep" against a path; the named segments, decoded, or null.
export function match(pattern, path) {
  const want = pattern.split('/');
  const got = path.replace(/\/+$/, '').split('/');
  if (want.length !== got.length) return null;
  const params = {};
  for (let i = 0; i < want.length; i += 1) {
    if (want[i].startsWith(':')) params[want[i].slice(1)] = decodeURIComponent(got[i]);
    else if (want[i] !== got[i]) return null;
  }
  return params;
}

export const appPath = (app, rest = '') => `/ui/app/${encodeURIComponent(app)}${rest}`;
