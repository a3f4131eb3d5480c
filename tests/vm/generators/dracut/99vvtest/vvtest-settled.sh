#!/bin/sh
# shellcheck shell=sh
# initqueue/settled 99: udev has handled the coldplug (native drivers
# autoloaded); report and power off.
# shellcheck source=/dev/null
. /lib/vvtest-lib.sh
vvtest_say "settled udevd=$(vvtest_udevd) state=$(vvtest_state)"
vvtest_devices settled
vvtest_kmsg
vvtest_end
