#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Guest /init for tests/vm/smoke.sh (boot 1): binds by hand what vfio-variant
# will bind, with device set gpu,nvme,e1000e,nic (BDFs: see lib.sh).
# shellcheck source-path=SCRIPTDIR
# shellcheck source=init-common.sh
. /lib/vmtest/init-common.sh

NIC=0000:00:08.0
GPU=0000:01:00.0
HDA=0000:01:00.1
NVME=0000:00:06.0
E1000E=0000:00:07.0

list_devices
say "module-compression $(cat /sys/module/compression 2>/dev/null || echo none)"

check "nic-ids" [ "$(ids $NIC)" = 1af4:1041 ]
check "nic-virtio-pci-builtin" [ "$(drv $NIC)" = virtio-pci ]
for d in $NIC $GPU $HDA $NVME $E1000E; do
    check "group-$d" [ "$(grp "$d")" != none ]
done
check "gpu-hda-same-group" [ "$(grp $GPU)" = "$(grp $HDA)" ]

# 1. The variant driver by hand, as the binder will: load, override, unbind,
#    reprobe. vfio_iommu_type1 (vfio's "post:" softdep) is loaded explicitly
#    in case busybox modprobe skips softdeps; the log says whether it did.
t=$(now_cs)
check "modprobe-virtio_vfio_pci" modprobe virtio_vfio_pci
say "time modprobe-virtio_vfio_pci $(elapsed_ms "$t") ms"
say "modules $(cut -d' ' -f1 /proc/modules | sort | tr '\n' ' ')"
if [ -d /sys/module/vfio_iommu_type1 ]; then
    say "softdep vfio_iommu_type1 loaded by busybox modprobe"
else
    say "softdep vfio_iommu_type1 NOT loaded by busybox modprobe"
fi
check "modprobe-vfio_iommu_type1" modprobe vfio_iommu_type1
check "variant-driver-name" [ -e /sys/module/virtio_vfio_pci/drivers/pci:virtio_vfio_pci ]
say "taint $(cat /proc/sys/kernel/tainted)"
t=$(now_cs)
check "bind-nic-variant" bind_by_hand $NIC virtio_vfio_pci
say "time bind-nic-variant $(elapsed_ms "$t") ms"
say "nic drv=$(drv $NIC) override=$(ovr $NIC) group=$(grp $NIC)"
check "dev-vfio-group-nic" [ -c "/dev/vfio/$(grp $NIC)" ]
say "dev-vfio $(cd /dev/vfio && echo *)"

# 2. driver_override=vfio-pci set before the native modules load: they must
#    not take the devices (vfio-pci itself is not loaded yet: held, no driver).
for d in $HDA $NVME $E1000E; do
    echo vfio-pci >"/sys/bus/pci/devices/$d/driver_override"
done
t=$(now_cs)
check "modprobe-natives-held" modprobe -a snd_hda_intel nvme e1000e
say "time modprobe-natives-held $(elapsed_ms "$t") ms"
for d in $HDA $NVME $E1000E; do
    check "held-$d" [ "$(drv "$d")" = none ]
done
check "gpu-untouched" [ "$(drv $GPU)" = none ]

# 3. Loading vfio-pci and reprobing hands the held devices to it.
check "modprobe-vfio_pci" modprobe vfio_pci
for d in $HDA $NVME $E1000E; do
    echo "$d" >/sys/bus/pci/drivers_probe 2>/dev/null
    check "vfio-pci-$d" [ "$(drv "$d")" = vfio-pci ]
done
check "dev-vfio-group-nvme" [ -c "/dev/vfio/$(grp $NVME)" ]

list_devices
finish
