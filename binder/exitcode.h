/* SPDX-License-Identifier: GPL-2.0-or-later */
/* exitcode: the program's exit statuses, one enum for every command
 * (main.c's commands and claim.c's claim/release). --help and
 * vfio-variant(8) "EXIT STATUS" describe them. */
#ifndef VV_EXITCODE_H
#define VV_EXITCODE_H

enum exit_code {
	EXIT_OK = 0,
	EXIT_PROBLEM = 1,  /* bad input, refused, held or failed devices */
	EXIT_USAGE = 2,    /* the command line is wrong */
	EXIT_ENV = 3,      /* /sys or the module tree unusable, no such device */
};

#endif
