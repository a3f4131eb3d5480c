#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Scenario 1 on Debian sid's 7.2 kernel (variant module built in a sid chroot).
exec bash "$(dirname "${BASH_SOURCE[0]}")/test_scenarios.sh" 7.2
