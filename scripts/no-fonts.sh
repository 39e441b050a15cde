#!/usr/bin/env bash
# Runs a command as on a machine without fonts: in a private mount namespace (needs root), the
# system font folders are empty and libfontconfig cannot be loaded. For checking that charts
# still render, e.g.
#   scripts/no-fonts.sh ./apbj bench --synth tiny --layers 1 --methods dense --lengths 128 --in-process
#   scripts/no-fonts.sh .device/run-gpu.sh main org.apbj.examples.Main bench ...   (the bundled runtime)
set -euo pipefail
[[ $# -gt 0 ]] || { echo "usage: scripts/no-fonts.sh COMMAND [ARGS...]" >&2; exit 2; }
exec unshare -m --propagation private bash -c '
set -e
for d in /usr/share/fonts /usr/local/share/fonts /etc/fonts /var/cache/fontconfig "$HOME/.fonts" "$HOME/.local/share/fonts"; do
  [[ -d $d ]] && mount -t tmpfs none "$d"
done
for lib in $(ldconfig -p | awk "/libfontconfig\\.so/ {print \$NF}"); do
  mount --bind /dev/null "$(readlink -f "$lib")"
done
exec "$@"' no-fonts "$@"
