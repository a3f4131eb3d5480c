/* SPDX-License-Identifier: GPL-2.0-or-later */
/* platform: what differs by the architecture the binary was built for.
 * Only words for people: the binder's logic reads sysfs, which tells the
 * same story on every architecture (see pci_iommu_registered()). */
#ifndef VV_PLATFORM_H
#define VV_PLATFORM_H

#if defined(__aarch64__)
#define PLATFORM_ARCH "arm64"
#define PLATFORM_IOMMU_HINT \
	"no IOMMU group, and no IOMMU (SMMU) is registered: enable the SMMU in the firmware " \
	"(ACPI IORT / device tree; QEMU: -M virt,iommu=smmuv3)"
#elif defined(__x86_64__) || defined(__i386__)
#define PLATFORM_ARCH "x86_64"
#define PLATFORM_IOMMU_HINT \
	"no IOMMU group: the IOMMU is off; boot with intel_iommu=on (Intel) or amd_iommu=on (AMD), plus iommu=pt"
#else
#define PLATFORM_ARCH "other"
#define PLATFORM_IOMMU_HINT "no IOMMU group: no IOMMU is registered; enable it in the firmware and kernel"
#endif

#endif
