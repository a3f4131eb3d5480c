/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "t.h"
#include "variant.h"

static const char *dev = "vfio_pci:v00001AF4d00001041sv00001AF4sd00001100bc02sc00i00";

T_TEST(variant)
{
	struct candidate c[4];

	T_EQ_INT(variant_specificity("vfio_pci:v*d*sv*sd*bc*sc*i*"), 0, "generic");
	T_EQ_INT(variant_specificity("vfio_pci:v00001AF4d00001041sv*sd*bc*sc*i*"), 2, "vendor+device");
	T_EQ_INT(variant_specificity("vfio_pci:v00008086d*sv*sd*bc03sc*i*"), 2, "vendor+class");
	T_EQ_INT(variant_specificity("vfio_pci:v000015B3d0000101Esv000015B3sd00000001bc02sc00i00*"), 7, "all fixed");
	T_EQ_INT(variant_specificity("pci:v*d*sv*sd*bc*sc*i*"), -1, "not vfio_pci");
	T_EQ_INT(variant_specificity("vfio_pci:v*d*"), -1, "truncated");
	T_OK(variant_match("vfio_pci:v00001AF4d00001041sv*sd*bc*sc*i*", dev), "glob match");
	T_OK(!variant_match("vfio_pci:v00001AF4d00001042sv*sd*bc*sc*i*", dev), "glob mismatch");

	/* modules.order puts vfio_pci first; ranking must not care */
	memset(c, 0, sizeof(c));
	strcpy(c[0].module, "vfio_pci");
	c[0].score = -1;
	variant_offer(&c[0], "vfio_pci:v*d*sv*sd*bc*sc*i*", dev);
	strcpy(c[1].module, "virtio_vfio_pci");
	c[1].score = -1;
	variant_offer(&c[1], "vfio_pci:v00001AF4d00001042sv*sd*bc*sc*i*", dev);
	variant_offer(&c[1], "vfio_pci:v00001AF4d00001041sv*sd*bc*sc*i*", dev);
	T_EQ_INT(c[1].score, 2, "best matching alias kept");
	T_EQ_INT(variant_rank(c, 2), 1, "clear winner");
	T_EQ_STR(c[0].module, "virtio_vfio_pci", "variant first");
	T_EQ_STR(c[1].module, "vfio_pci", "generic last");
	T_EQ_INT(c[1].rank, 2, "generic rank 2");

	/* ties are broken by name and reported; generic is last even if it were specific */
	memset(c, 0, sizeof(c));
	strcpy(c[0].module, "zeta_vfio_pci"); c[0].score = 2;
	strcpy(c[1].module, "alpha_vfio_pci"); c[1].score = 2;
	strcpy(c[2].module, "vfio_pci"); c[2].score = 7;
	strcpy(c[3].module, "admin_choice"); c[3].score = 0; c[3].from_config = true;
	T_EQ_INT(variant_rank(c, 4), 1, "modprobe.d alias alone on top");
	T_EQ_STR(c[0].module, "admin_choice", "modprobe.d alias first");
	T_EQ_STR(c[1].module, "alpha_vfio_pci", "tie broken by name");
	T_OK(c[1].tie && c[2].tie, "tie marked");
	T_EQ_STR(c[3].module, "vfio_pci", "generic last");
	c[0].from_config = false; c[0].score = -1;
	memset(&c[0], 0, sizeof(c[0]));
	strcpy(c[0].module, "beta_vfio_pci"); c[0].score = 2;
	T_EQ_INT(variant_rank(c, 3), 3, "three tied on top");
	T_EQ_INT(variant_rank(c, 0), 0, "empty");
}
