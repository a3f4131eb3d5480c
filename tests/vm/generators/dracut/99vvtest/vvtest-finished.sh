#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# initqueue/finished 99: never finished; keeps init in its main loop until
# the settled hook powers the guest off.
[ -e /tmp/vvtest-never ]
