#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# cmdline 99: there is no root file system; accept any root= so that init
# goes on to udev and the main loop (which the settled hook ends).
# shellcheck disable=SC2034  # read by dracut's init
rootok=1
