#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Make sure Icarus Verilog is installed: apt-get it when we are root or have
# passwordless sudo, otherwise stop with one line that says what to install.
set -e
command -v iverilog >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ]; then
    SUDO=
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
else
    echo "lifgen: Icarus Verilog is missing; install it (Debian/Ubuntu: sudo apt-get install iverilog) and re-run." >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "lifgen: Icarus Verilog is missing and apt-get is not available; install iverilog with your package manager." >&2
    exit 1
fi
echo "lifgen: installing Icarus Verilog with apt-get" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq iverilog >/dev/null
command -v iverilog >/dev/null
