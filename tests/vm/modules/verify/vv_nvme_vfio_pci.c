// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vv_nvme_vfio_pci — test fixture for `vfio-variant verify` (tests/vm/test_verify.sh):
 * a VFIO variant driver for QEMU's NVMe controller (1b36:0010) built on
 * vfio_pci_core, whose migration ops answer the VFIO_DEVICE_FEATURE
 * MIGRATION probe (STOP_COPY | P2P) and whose DMA-logging ops answer the
 * dirty-tracking probe. Nothing here migrates or tracks anything: the
 * callbacks are stubs that keep a state and refuse data transfer. Linux
 * 6.12 registers migration only with all three migration callbacks and
 * STOP_COPY in migration_flags, and log ops only with all three log
 * callbacks (vfio_pci_core_register_device), so these are the least a
 * driver needs for the probes to say "yes". Never load it on a real host.
 */
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/vfio.h>
#include <linux/vfio_pci_core.h>

struct vvv_device {
	struct vfio_pci_core_device core;
	enum vfio_device_mig_state state;
	bool logging;
};

static struct vvv_device *to_vvv(struct vfio_device *vdev)
{
	return container_of(vdev, struct vvv_device, core.vdev);
}

static struct file *vvv_set_state(struct vfio_device *vdev, enum vfio_device_mig_state new_state)
{
	/* a data-transfer state would need a file: the fixture has none */
	if (new_state == VFIO_DEVICE_STATE_STOP_COPY || new_state == VFIO_DEVICE_STATE_RESUMING)
		return ERR_PTR(-EOPNOTSUPP);
	to_vvv(vdev)->state = new_state;
	return NULL;
}

static int vvv_get_state(struct vfio_device *vdev, enum vfio_device_mig_state *cur)
{
	*cur = to_vvv(vdev)->state;
	return 0;
}

static int vvv_get_data_size(struct vfio_device *vdev, unsigned long *len)
{
	*len = 0;
	return 0;
}

static const struct vfio_migration_ops vvv_mig_ops = {
	.migration_set_state = vvv_set_state,
	.migration_get_state = vvv_get_state,
	.migration_get_data_size = vvv_get_data_size,
};

static int vvv_log_start(struct vfio_device *vdev, struct rb_root_cached *ranges, u32 nnodes,
			 u64 *page_size)
{
	struct vvv_device *v = to_vvv(vdev);

	if (v->logging)
		return -EBUSY;
	v->logging = true;
	*page_size = PAGE_SIZE;
	return 0;
}

static int vvv_log_stop(struct vfio_device *vdev)
{
	to_vvv(vdev)->logging = false;
	return 0;
}

static int vvv_log_read_and_clear(struct vfio_device *vdev, unsigned long iova,
				  unsigned long length, struct iova_bitmap *dirty)
{
	return to_vvv(vdev)->logging ? 0 : -EINVAL;
}

static const struct vfio_log_ops vvv_log_ops = {
	.log_start = vvv_log_start,
	.log_stop = vvv_log_stop,
	.log_read_and_clear = vvv_log_read_and_clear,
};

static int vvv_open_device(struct vfio_device *vdev)
{
	struct vvv_device *v = to_vvv(vdev);
	int ret = vfio_pci_core_enable(&v->core);

	if (ret)
		return ret;
	v->state = VFIO_DEVICE_STATE_RUNNING;
	v->logging = false;
	vfio_pci_core_finish_enable(&v->core);
	return 0;
}

static const struct vfio_device_ops vvv_ops = {
	.name = "vv-nvme-vfio-pci",
	.init = vfio_pci_core_init_dev,
	.release = vfio_pci_core_release_dev,
	.open_device = vvv_open_device,
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

static int vvv_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct vvv_device *v;
	int ret;

	v = vfio_alloc_device(vvv_device, core.vdev, &pdev->dev, &vvv_ops);
	if (IS_ERR(v))
		return PTR_ERR(v);
	v->core.vdev.migration_flags = VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_P2P;
	v->core.vdev.mig_ops = &vvv_mig_ops;
	v->core.vdev.log_ops = &vvv_log_ops;
	dev_set_drvdata(&pdev->dev, &v->core);
	ret = vfio_pci_core_register_device(&v->core);
	if (ret) {
		vfio_put_device(&v->core.vdev);
		return ret;
	}
	return 0;
}

static void vvv_remove(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *core = dev_get_drvdata(&pdev->dev);

	vfio_pci_core_unregister_device(core);
	vfio_put_device(&core->vdev);
}

static const struct pci_device_id vvv_table[] = {
	{ PCI_DRIVER_OVERRIDE_DEVICE_VFIO(0x1b36, 0x0010) },   /* QEMU NVM Express */
	{}
};
MODULE_DEVICE_TABLE(pci, vvv_table);

static struct pci_driver vvv_driver = {
	.name = KBUILD_MODNAME,
	.id_table = vvv_table,
	.probe = vvv_probe,
	.remove = vvv_remove,
	.err_handler = &vfio_pci_core_err_handlers,
	.driver_managed_dma = true,
};
module_pci_driver(vvv_driver);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vfio-variant test fixture: QEMU NVMe variant answering the migration and dirty-tracking probes");
