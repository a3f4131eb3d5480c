/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests: parsers, matching, ranking. */
#include "t.h"
#include "log.h"

unsigned t_pass, t_fail;

int main(void)
{
	log_open(NULL, LOG_ERR);
	test_rule();
	test_cmdline();
	test_config();
	test_variant();
	test_pci();
	test_json();
	printf("unit: %u passed, %u failed\n", t_pass, t_fail);
	return t_fail ? 1 : 0;
}
