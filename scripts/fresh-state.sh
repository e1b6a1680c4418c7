#!/usr/bin/env bash
# Put the Debian packages the suite drives back into a fresh install's state (see
# docs/development.md), without uninstalling them, then show what is left.
# Run as root on a machine you test on, never on one whose tokens or clusters you need.
set -euo pipefail

# openCryptoki: no slot daemon, no initialized soft token, no shared memory or lock files.
pkill -x pkcsslotd 2>/dev/null || true
for _ in $(seq 50); do pgrep -x pkcsslotd >/dev/null || break; sleep 0.1; done
rm -f /var/lib/opencryptoki/swtok/NVTOK.DAT /var/lib/opencryptoki/swtok/MK_SO /var/lib/opencryptoki/swtok/MK_USER
rm -rf /var/lib/opencryptoki/swtok/TOK_OBJ/*
rm -f /dev/shm/var.lib.opencryptoki.* /run/pkcsslotd.pid
[ -d /run/lock/opencryptoki ] && find /run/lock/opencryptoki -name 'LCK..*' -delete
[ -d /run/lock/opencryptoki/tpm ] && find /run/lock/opencryptoki/tpm -mindepth 1 -maxdepth 1 -type d -exec rm -rf {} +

# SoftHSM2: no system tokens (the suite never uses them, but nothing may rely on them).
[ -d /var/lib/softhsm/tokens ] && find /var/lib/softhsm/tokens -mindepth 1 -delete

# PostgreSQL and slapd: the package's own servers stopped (the suite starts its own).
command -v pg_lsclusters >/dev/null && pg_lsclusters -h 2>/dev/null | while read -r ver name _; do pg_ctlcluster "$ver" "$name" stop 2>/dev/null || true; done
pkill -x slapd 2>/dev/null || true

# Chromium and tool caches under $HOME and /tmp.
rm -rf "${HOME:?}/.config/chromium" "$HOME/.cache/chromium" "$HOME/.cache/dconf" "$HOME/.pki" "$HOME/.local/share/pki" /tmp/tsx-* /tmp/tessera-test-run-*

echo "fresh-state: what is left"
ls -la /var/lib/opencryptoki/swtok /var/lib/opencryptoki/swtok/TOK_OBJ 2>/dev/null || echo "  no /var/lib/opencryptoki (opencryptoki not installed)"
ls /dev/shm
for d in pkcsslotd slapd postgres; do pgrep -a -x "$d" || echo "  no $d running"; done
