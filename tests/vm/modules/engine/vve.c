/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vve: a working VFIO variant driver for QEMU's NVMe (1b36:0010), built on
 * vfio_pci_core like the upstream variants, whose probe sleeps VVE_PROBE_MS
 * (msleep: uninterruptible, like nvgrace_gpu_vfio_pci's BAR0 poll or a
 * probe that never returns) before it registers the device. Test fixture of
 * tests/vm/test_engine.sh; build.sh builds it several times with different
 * -DVVE_PROBE_MS and -DVVE_SOFTDEP_NVME, one module (and driver) name each.
 */
#include <linux/delay.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/vfio_pci_core.h>

#ifndef VVE_PROBE_MS
#define VVE_PROBE_MS 0
#endif

static int vve_open_device(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev =
		container_of(core_vdev, struct vfio_pci_core_device, vdev);
	int ret = vfio_pci_core_enable(vdev);

	if (ret)
		return ret;
	vfio_pci_core_finish_enable(vdev);
	return 0;
}

static const struct vfio_device_ops vve_ops = {
	.name = KBUILD_MODNAME,
	.init = vfio_pci_core_init_dev,
	.release = vfio_pci_core_release_dev,
	.open_device = vve_open_device,
	.close_device = vfio_pci_core_close_device,
	.ioctl = vfio_pci_core_ioctl,
	.device_feature = vfio_pci_core_ioctl_feature,
	.read = vfio_pci_core_read,
	.write = vfio_pci_core_write,
	.mmap = vfio_pci_core_mmap,
	.request = vfio_pci_core_request,
	.match = vfio_pci_core_match,
	.bind_iommufd = vfio_iommufd_physical_bind,
	.unbind_iommufd = vfio_iommufd_physical_unbind,
	.attach_ioas = vfio_iommufd_physical_attach_ioas,
	.detach_ioas = vfio_iommufd_physical_detach_ioas,
};

static int vve_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct vfio_pci_core_device *vdev;
	int ret;

	dev_info(&pdev->dev, "vve: probe sleeps %d ms\n", VVE_PROBE_MS);
	if (VVE_PROBE_MS)
		msleep(VVE_PROBE_MS);
	vdev = vfio_alloc_device(vfio_pci_core_device, vdev, &pdev->dev, &vve_ops);
	if (IS_ERR(vdev))
		return PTR_ERR(vdev);
	dev_set_drvdata(&pdev->dev, vdev);
	ret = vfio_pci_core_register_device(vdev);
	if (ret) {
		vfio_put_device(&vdev->vdev);
		return ret;
	}
	dev_info(&pdev->dev, "vve: probe done\n");
	return 0;
}

static void vve_remove(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(&pdev->dev);

	vfio_pci_core_unregister_device(vdev);
	vfio_put_device(&vdev->vdev);
}

static const struct pci_device_id vve_table[] = {
	{ PCI_DRIVER_OVERRIDE_DEVICE_VFIO(0x1b36, 0x0010) },
	{}
};
MODULE_DEVICE_TABLE(pci, vve_table);

static struct pci_driver vve_driver = {
	.name = KBUILD_MODNAME,
	.id_table = vve_table,
	.probe = vve_probe,
	.remove = vve_remove,
	.err_handler = &vfio_pci_core_err_handlers,
	.driver_managed_dma = true,
};
module_pci_driver(vve_driver);

#ifdef VVE_SOFTDEP_NVME
/* libkmod loads nvme first, as it loads mlx5_core before mlx5_vfio_pci */
MODULE_SOFTDEP("pre: nvme");
#endif
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vfio-variant test fixture: a VFIO variant for QEMU NVMe with a slow probe");
