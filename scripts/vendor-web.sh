#!/usr/bin/env bash
# Refreshes the dashboard's third-party modules in web/vendor/ from the npm registry: Preact
# (rendering), its hooks, and htm (HTML-like templates in plain JavaScript, so no build step).
# The files are committed, so building hookd needs neither npm nor the network; run this only
# to change a version. The hooks module imports "preact" by its bare name, which a browser can
# resolve only through an import map (an inline script the dashboard's content security policy
# does not allow): it is rewritten to the file beside it.
set -euo pipefail
cd "$(dirname "$0")/.."
preact=10.29.8
htm=3.1.1
out=web/vendor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "preact@$preact" "htm@$htm" >/dev/null)
tar -xzf "$work/preact-$preact.tgz" -C "$work" && mv "$work/package" "$work/preact"
tar -xzf "$work/htm-$htm.tgz" -C "$work" && mv "$work/package" "$work/htm"
mkdir -p "$out"
cp "$work/preact/dist/preact.module.js" "$out/preact.js"
sed -e 's#from"preact"#from"./preact.js"#g' -e "s#from 'preact'#from './preact.js'#g" \
  "$work/preact/hooks/dist/hooks.module.js" >"$out/preact-hooks.js"
cp "$work/htm/dist/htm.module.js" "$out/htm.js"
# Source maps are not shipped: strip the comments that name them.
sed -i -e '/^\/\/# sourceMappingURL=/d' "$out"/*.js
if grep -q 'from *"preact"\|from *'"'"'preact'"'" "$out"/*.js; then
  echo "vendor-web: a bare 'preact' import is left in $out" >&2
  exit 1
fi
{
  echo "Third-party modules of the dashboard, from the npm registry (scripts/vendor-web.sh)."
  echo
  echo "preact.js, preact-hooks.js: preact@$preact, MIT License"
  echo "htm.js: htm@$htm, Apache License 2.0"
  echo
  echo "==== preact ===="
  cat "$work/preact/LICENSE"
  echo
  echo "==== htm ===="
  cat "$work/htm/LICENSE"
} >"$out/LICENSES.txt"
ls -l "$out"
