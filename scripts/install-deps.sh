#!/usr/bin/env bash
# The system packages ipcsh needs besides the Swift toolchain (Debian/Ubuntu):
# GNU readline's headers, a C compiler for the tests' C peers, tmux for the REPL tests, strace
# (the tests count a command's system calls with it), chromium (the tests render bench's SVG
# chart in it, headless), man and groff (the tests render docs/ipcsh.1), zsh and fish (the
# tests load their completion scripts; skipped without them).
set -euo pipefail
need=()
[ -e /usr/include/readline/readline.h ] || need+=(libreadline-dev)
command -v cc >/dev/null || need+=(gcc)
command -v tmux >/dev/null || need+=(tmux)
command -v python3 >/dev/null || need+=(python3)
command -v strace >/dev/null || need+=(strace)
command -v chromium >/dev/null || need+=(chromium)
command -v man >/dev/null || need+=(man-db)
command -v groff >/dev/null || need+=(groff-base)
command -v zsh >/dev/null || need+=(zsh)
command -v fish >/dev/null || need+=(fish)
if [ ${#need[@]} -gt 0 ]; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y "${need[@]}"
fi
# Python peers the tests talk to: System V (sysv_ipc) and POSIX (posix_ipc) IPC from Python.
if ! python3 -c 'import sysv_ipc, posix_ipc' 2>/dev/null; then
    python3 -m pip install --quiet sysv_ipc posix_ipc 2>/dev/null \
        || python3 -m pip install --quiet --break-system-packages sysv_ipc posix_ipc
fi
