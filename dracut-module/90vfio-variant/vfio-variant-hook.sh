#!/bin/sh
# shellcheck shell=sh
# dracut pre-udev hook (sourced by dracut's init.sh, or by dracut-pre-udev in
# the systemd flavour: a oneshot ordered Before=systemd-udevd.service).
# Binds the listed devices before udev coldplugs the native drivers. Never
# fails the boot: the binary exits 0 unless given --strict.
/usr/sbin/vfio-variant bind
