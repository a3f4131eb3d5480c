/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "t.h"
#include "pci.h"

T_TEST(pci)
{
	struct pci_ids id;

	T_EQ_INT(pci_parse_modalias("pci:v00001AF4d00001041sv00001AF4sd00001100bc02sc00i00", &id), 0, "modalias");
	T_EQ_INT(id.vendor, 0x1af4, "vendor");
	T_EQ_INT(id.device, 0x1041, "device");
	T_EQ_INT(id.subvendor, 0x1af4, "subvendor");
	T_EQ_INT(id.subdevice, 0x1100, "subdevice");
	T_EQ_INT(id.class, 0x020000, "class");
	T_OK(pci_parse_modalias("pci:v00001AF4d00001041sv00001AF4sd00001100bc02sc00", &id) < 0, "truncated");
	T_OK(pci_parse_modalias("usb:v1234p5678", &id) < 0, "not pci");
	T_OK(pci_parse_modalias("pci:v00001AF4d00001041sv00001AF4sd00001100bc02sc00i00x", &id) < 0, "trailing");
}
