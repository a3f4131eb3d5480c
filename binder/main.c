/* SPDX-License-Identifier: GPL-2.0-or-later */
/* main: command line of the vfio-variant program. */
#include "bind.h"
#include "macro.h"
#include "claim.h"
#include "cmdline.h"
#include "config.h"
#include "event.h"
#include "exitcode.h"
#include "select.h"
#include "json.h"
#include "log.h"
#include "module.h"
#include "pci.h"
#include "plan.h"
#include "preflight.h"
#include "print.h"
#include "imagemods.h"
#include "require.h"
#include "run.h"
#include "platform.h"
#include "rule.h"
#include "setting.h"
#include "state.h"
#include "textbuf.h"
#include "trust.h"
#include "sysfs.h"
#include "verify.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>



static const char usage_head[] =
"Usage: vfio-variant [OPTIONS] COMMAND [ARGS]\n"
"\n"
"Hands the PCI devices listed on the kernel command line or in\n"
"/etc/vfio-variant.conf to the best VFIO driver: a variant driver such as\n"
"mlx5_vfio_pci or virtio_vfio_pci where one matches, vfio-pci otherwise.\n"
"\n";

static const char usage_tail[] =
"\n"
"bind holds every listed device first (driver_override " BIND_HOLD ", a name\n"
"no driver has), then loads the modules, then probes the devices in parallel,\n"
"one thread each; it returns by vfio_variant.timeout even if a probe\n"
"never does (that device: result probing, its record follows).\n"
"Results (status, status --json, the summary): bound, unchanged, fallback\n"
"(not on its best driver), unmet, held, probing, timeout, native, failed,\n"
"refused, gone, released.\n"
"\n"
"Platforms: x86_64 and arm64 (this binary: " PLATFORM_ARCH "). Where an IOMMU is\n"
"registered but a device has no group yet (arm64 SMMUv3 makes it at probe\n"
"time) bind claims it and reads the group after the probe; group=1 companions\n"
"then come from the PCI topology. Without any IOMMU such devices are refused.\n"
"\n"
"Exit status:\n"
"  0  success (bind: always, unless --strict)\n"
"  1  bad input was reported, or (bind --strict) a listed device ended other\n"
"     than bound or unchanged: fallback, unmet, held, probing, timeout,\n"
"     refused, failed, native, gone, released\n"
"  2  usage error\n"
"  3  /sys or the module tree is unusable, or the device does not exist\n"
"See vfio-variant(8) and vfio-variant.conf(5).\n";

struct command;

struct opts {
	const char *root;
	const char *cmdline;
	const char *config;
	const char *kver;
	const char *device;
	const char *moddir;
	bool verbose, json, strict, dry_run, all, persist, force, preflight;
	const struct command *cmd;
	const char *arg;        /* the first argument after the command */
	const char **pos;       /* every argument after the command */
	int n_pos;
};

struct env {
	int rootfd, sysfd;
	struct ruleset rs;
	struct pci_bus bus;
	struct modctx mod;
	char kver[256];
	bool have_mod;
	struct timespec start;
	int guard_fd;           /* bind's guard, forked by run(), or -1 */
};

__attribute__((format(printf, 1, 2)))
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vfio-variant: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'vfio-variant --help'.\n");
	return EXIT_USAGE;
}

/* --- the options and the commands: one table each ------------------------ */

enum opt_id {
	/* every command takes these */
	OPT_ROOT, OPT_CMDLINE, OPT_CONFIG, OPT_KVER, OPT_MODDIR, OPT_VERBOSE, OPT_HELP, OPT_VERSION,
	/* only the commands that name them */
	OPT_DEVICE, OPT_JSON, OPT_STRICT, OPT_PREFLIGHT, OPT_DRY_RUN, OPT_ALL, OPT_PERSIST,
	OPT_FORCE,
	_OPT_MAX,
};
#define O(x) (1u << OPT_##x)
#define OPTS_GLOBAL (O(ROOT) | O(CMDLINE) | O(CONFIG) | O(KVER) | O(MODDIR) | O(VERBOSE) | \
		     O(HELP) | O(VERSION))

static const struct option_def {
	const char *name;        /* "--root" */
	const char *short_name;  /* "-v" or NULL */
	const char *value;       /* the value's name in --help, NULL for a flag */
	size_t field;            /* offset in struct opts: const char * or bool */
	const char *help;        /* global options only: their --help line */
} options[_OPT_MAX] = {
	[OPT_ROOT] = { "--root", NULL, "DIR", offsetof(struct opts, root),
		       "prefix for /sys, /proc/cmdline, /etc, /lib/modules, /run" },
	[OPT_CMDLINE] = { "--cmdline", NULL, "TEXT", offsetof(struct opts, cmdline),
			  "use TEXT instead of /proc/cmdline" },
	[OPT_CONFIG] = { "--config", NULL, "FILE", offsetof(struct opts, config),
			 "read rules from FILE instead of /etc/vfio-variant.conf\nand /etc/vfio-variant.d/*.conf" },
	[OPT_KVER] = { "--kver", NULL, "VERSION", offsetof(struct opts, kver),
		       "module tree /lib/modules/VERSION (default: uname -r)" },
	[OPT_MODDIR] = { "--moddir", NULL, "DIR", offsetof(struct opts, moddir),
			 "module tree DIR itself (dracut --kmoddir, MODULESDIR)" },
	[OPT_VERBOSE] = { "--verbose", "-v", NULL, offsetof(struct opts, verbose), "debug output" },
	[OPT_HELP] = { "--help", "-h", NULL, 0, "this text" },
	[OPT_VERSION] = { "--version", "-V", NULL, 0, "version" },
	[OPT_DEVICE] = { "--device", NULL, "BDF", offsetof(struct opts, device), NULL },
	[OPT_JSON] = { "--json", NULL, NULL, offsetof(struct opts, json), NULL },
	[OPT_STRICT] = { "--strict", NULL, NULL, offsetof(struct opts, strict), NULL },
	[OPT_PREFLIGHT] = { "--preflight", NULL, NULL, offsetof(struct opts, preflight), NULL },
	[OPT_DRY_RUN] = { "--dry-run", NULL, NULL, offsetof(struct opts, dry_run), NULL },
	[OPT_ALL] = { "--all", NULL, NULL, offsetof(struct opts, all), NULL },
	[OPT_PERSIST] = { "--persist", NULL, NULL, offsetof(struct opts, persist), NULL },
	[OPT_FORCE] = { "--force", NULL, NULL, offsetof(struct opts, force), NULL },
};

static int cmd_bind(struct env *env, const struct opts *o);
static int cmd_plan(struct env *env, const struct opts *o);
static int cmd_status(struct env *env, const struct opts *o);
static int cmd_explain(struct env *env, const struct opts *o);
static int cmd_verify(struct env *env, const struct opts *o);
static int cmd_claim(struct env *env, const struct opts *o);
static int cmd_release(struct env *env, const struct opts *o);
static int cmd_modules(struct env *env, const struct opts *o);

enum {
	CMD_KMSG = 1 << 0,       /* logs to /dev/kmsg, info and up */
	CMD_BOOT = 1 << 1,       /* an unusable /sys is exit 0 unless --strict */
	CMD_AS_ROOT = 1 << 2,    /* changes devices: root unless --root */
	CMD_EVENT = 1 << 3,      /* with --device: the udev path (no bus scan) */
};

/* A command is one row: adding one is adding a row and its function. */
static const struct command {
	const char *name;
	const char *args;        /* its arguments and options, as --help shows them */
	const char *help;        /* lines of its --help entry */
	unsigned opts;           /* O() bits of the options it takes beyond the global ones */
	int min_args, max_args;  /* arguments after the command; max -1: any number */
	unsigned flags;          /* CMD_* */
	int (*run)(struct env *env, const struct opts *o);
} commands[] = {
	{ "bind", "[--device BDF] [--strict] [--dry-run]",
	  "claim the listed devices (the boot action); with --device\n"
	  "only that device (udev, hotplug, SR-IOV VFs)",
	  O(DEVICE) | O(STRICT) | O(DRY_RUN), 0, 0, CMD_KMSG | CMD_BOOT | CMD_EVENT, cmd_bind },
	{ "plan", "[--json] [--preflight]",
	  "show what bind would do, changing nothing; --preflight:\n"
	  "exit 1 when the next boot's image would claim a device\n"
	  "holding / or /boot (nothing is mounted in the initramfs):\n"
	  "image generators run it while building",
	  O(JSON) | O(PREFLIGHT), 0, 0, 0, cmd_plan },
	{ "status", "[--json]", "show listed and VFIO-bound devices and what bind did",
	  O(JSON), 0, 0, 0, cmd_status },
	{ "explain", "BDF", "show every candidate driver for a device, ranked", 0, 1, 1, 0, cmd_explain },
	{ "verify", "[BDF...] [--json]",
	  "open each device (default: every device on a VFIO driver)\n"
	  "the way a VMM does: IOMMU group viable, container with the\n"
	  "type1 IOMMU, device fd; report usable or why not, the\n"
	  "regions (size, mmap), reset, and what the driver offers:\n"
	  "live migration (stop-copy, p2p, pre-copy), dirty tracking,\n"
	  "low power. Never opens a group another process holds (a\n"
	  "VM): reported \"busy\", untouched. CAUTION: opening a device\n"
	  "runs its driver's enable path, which may RESET it (FLR).\n"
	  "Exit 1 if a device is not usable. status --json shows the\n"
	  "last result of each device",
	  O(JSON), 0, -1, 0, cmd_verify },
	{ "claim", "BDF[=DRIVER] [--persist] [--force] [--dry-run]",
	  "hand one device to its best VFIO driver now (refused if\n"
	  "the host uses it: mounted, root, swap, interface up;\n"
	  "--force overrides); --persist also writes a rule in\n"
	  "/etc/vfio-variant.d/ so the next boot agrees",
	  O(PERSIST) | O(FORCE) | O(DRY_RUN), 1, 1, CMD_KMSG | CMD_AS_ROOT, cmd_claim },
	{ "release", "BDF [--persist] [--dry-run]",
	  "give it back to its native driver (refused while its VFIO\n"
	  "group is open); --persist removes the persisted rule",
	  O(PERSIST) | O(DRY_RUN), 1, 1, CMD_KMSG | CMD_AS_ROOT, cmd_release },
	{ "modules", "[--all] [--moddir DIR]",
	  "the modules an initramfs needs, one per line: for the\n"
	  "devices listed on this host, or with --all every module\n"
	  "with a vfio_pci: alias; vfio, vfio_pci, vfio_iommu_type1\n"
	  "and every dependency included (for image generators)",
	  O(ALL), 0, 0, 0, cmd_modules },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < N_COMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

/* "bind, plan, ..." */
static void command_names(struct textbuf *out)
{
	size_t i;

	for (i = 0; i < N_COMMANDS; i++)
		textbuf_printf(out, "%s%s", i ? ", " : "", commands[i].name);
}

/* TEXT's lines, each indented to column 18; the first after LEAD when it fits. */
static void help_lines(FILE *out, const char *lead, const char *text)
{
	const char *p = text;
	bool first = true;

	if (strlen(lead) > 17)
		fprintf(out, "%s\n", lead);
	while (*p) {
		size_t n = strcspn(p, "\n");

		if (first && strlen(lead) <= 17)
			fprintf(out, "%-18s%.*s\n", lead, (int)n, p);
		else
			fprintf(out, "%18s%.*s\n", "", (int)n, p);
		first = false;
		p += n + (p[n] == '\n');
	}
}

static void print_help(FILE *out)
{
	char lead[160];
	size_t i;
	int k;

	fputs(usage_head, out);
	fputs("Commands:\n", out);
	for (i = 0; i < N_COMMANDS; i++) {
		snprintf(lead, sizeof(lead), "  %s %s", commands[i].name, commands[i].args);
		help_lines(out, lead, commands[i].help);
	}
	fputs("\nOptions:\n", out);
	for (k = 0; k < _OPT_MAX; k++) {
		const struct option_def *d = &options[k];

		if (!(OPTS_GLOBAL & (1u << k)))
			continue;
		snprintf(lead, sizeof(lead), "  %s%s%s%s%s", d->short_name ? d->short_name : "",
			 d->short_name ? ", " : "", d->name, d->value ? " " : "", d->value ? d->value : "");
		help_lines(out, lead, d->help);
	}
	fputs("\n", out);
	setting_print_help(out);
	fputs(usage_tail, out);
}

/* The usage line of one command. */
static int command_usage_error(const struct command *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int command_usage_error(const struct command *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vfio-variant: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nUsage: vfio-variant [OPTIONS] %s %s\n", c->name, c->args);
	return EXIT_USAGE;
}

/* An option word: "--name", "--name=VALUE" or "-v". */
static const struct option_def *find_option(const char *a, const char **inline_value)
{
	int k;

	*inline_value = NULL;
	for (k = 0; k < _OPT_MAX; k++) {
		const struct option_def *d = &options[k];
		size_t n = strlen(d->name);

		if (d->short_name && !strcmp(a, d->short_name))
			return d;
		if (!strncmp(a, d->name, n) && (a[n] == '\0' || (a[n] == '=' && d->value))) {
			if (a[n] == '=')
				*inline_value = a + n + 1;
			return d;
		}
	}
	return NULL;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	unsigned given = 0;
	const char *first_bad = NULL;
	int i, k;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *val;
		const struct option_def *d;

		if (a[0] != '-' || !a[1]) {
			if (!o->cmd) {
				if (!(o->cmd = find_command(a))) {
					_cleanup_(textbuf_release) struct textbuf names = TEXTBUF_INIT;
					command_names(&names);
					usage_error("unknown command '%s' (%s)", a, textbuf_str(&names));
					return EXIT_USAGE;
				}
			} else {
				if (!o->arg)
					o->arg = a;
				o->pos[o->n_pos++] = a;
			}
			continue;
		}
		d = find_option(a, &val);
		if (!d) {
			if (!first_bad)
				first_bad = a;
			continue;
		}
		k = (int)(d - options);
		if (k == OPT_HELP) {
			print_help(stdout);
			exit(EXIT_OK);
		}
		if (k == OPT_VERSION) {
			printf("vfio-variant %s (%s)\n", VERSION, PLATFORM_ARCH);
			exit(EXIT_OK);
		}
		if (d->value) {
			if (!val && ++i == argc)
				return usage_error("option '%s' needs a value", d->name);
			*(const char **)(void *)((char *)o + d->field) = val ? val : argv[i];
		} else {
			*(bool *)(void *)((char *)o + d->field) = true;
		}
		given |= 1u << k;
	}
	if (!o->cmd) {
		_cleanup_(textbuf_release) struct textbuf names = TEXTBUF_INIT;

		command_names(&names);
		usage_error("no command given (%s)", textbuf_str(&names));
		return EXIT_USAGE;
	}
	if (first_bad)
		return command_usage_error(o->cmd, "unknown option '%s'", first_bad);
	for (k = 0; k < _OPT_MAX; k++)
		if ((given & (1u << k)) && !((OPTS_GLOBAL | o->cmd->opts) & (1u << k)))
			return command_usage_error(o->cmd, "%s does not take %s", o->cmd->name, options[k].name);
	if (o->n_pos < o->cmd->min_args)
		return command_usage_error(o->cmd, "%s needs %s", o->cmd->name,
					   o->cmd->min_args == 1 ? "a PCI address, e.g. 0000:01:00.0" : "arguments");
	if (o->cmd->max_args >= 0 && o->n_pos > o->cmd->max_args)
		return command_usage_error(o->cmd, "unexpected argument '%s'", o->pos[o->cmd->max_args]);
	return EXIT_OK;
}

static int load_rules(struct env *env, const struct opts *o)
{
	char *text;

	if (o->config)
		config_load_path(&env->rs, o->config);
	else
		config_load_default(&env->rs, env->rootfd);
	config_load_image_cmdline(&env->rs, env->rootfd);
	if (o->cmdline) {
		if (!(text = strdup(o->cmdline)))
			return -ENOMEM;
		trust_clean_text(&env->rs.report, text, strlen(text), "--cmdline");
		cmdline_parse(&env->rs, text);
		free(text);
		return 0;
	}
	text = trust_read_text(&env->rs.report, env->rootfd, "proc/cmdline", "/proc/cmdline");
	if (!text) {
		log_warn_errno(-errno, "cannot read /proc/cmdline: %m (is /proc mounted?)");
		return 0;
	}
	cmdline_parse(&env->rs, text);
	free(text);
	return 0;
}

static void open_modules(struct env *env, const struct opts *o)
{
	struct utsname u;

	if (env->have_mod)
		return;
	if (o->kver)
		snprintf(env->kver, sizeof(env->kver), "%s", o->kver);
	else if (uname(&u) == 0)
		snprintf(env->kver, sizeof(env->kver), "%s", u.release);
	if (o->moddir)
		mod_open_dir(&env->mod, o->root, o->moddir, env->sysfd);
	else
		mod_open(&env->mod, o->root, env->kver, env->sysfd);
	env->have_mod = true;
}

/* bind --device, the udev path: reads no bus and opens the module index
 * only for a listed device (binder/event.c). */
static bool is_event(const struct opts *o)
{
	return o->device && (o->cmd->flags & CMD_EVENT);
}

static int open_env(struct env *env, const struct opts *o, const struct timespec *start,
		    int guard_fd)
{
	memset(env, 0, sizeof(*env));
	env->start = *start;
	env->guard_fd = guard_fd;
	env->bus.devsfd = -1;
	env->sysfd = -1;
	ruleset_init(&env->rs);
	env->rootfd = openat(AT_FDCWD, o->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (env->rootfd < 0) {
		log_err_errno(-errno, "--root %s: %m", o->root);
		return EXIT_ENV;
	}
	trust_init(env->rootfd, strcmp(o->root, "/") != 0);
	load_rules(env, o);
	if (env->rs.debug)
		log_set_max(LOG_DEBUG);
	env->sysfd = sysfs_open_dir(env->rootfd, "sys");
	if (env->sysfd < 0 || !sysfs_exists(env->sysfd, "bus/pci")) {
		log_err("%s/sys is not a mounted sysfs with a PCI bus (mount -t sysfs sysfs /sys)",
			strcmp(o->root, "/") ? o->root : "");
		return EXIT_ENV;
	}
	if (is_event(o))
		return EXIT_OK;
	if (pci_scan(&env->bus, env->sysfd) < 0) {
		log_err_errno(-errno, "cannot read /sys/bus/pci/devices: %m");
		return EXIT_ENV;
	}
	open_modules(env, o);
	return EXIT_OK;
}

static void close_env(struct env *env)
{
	if (env->have_mod)
		mod_close(&env->mod);
	pci_free(&env->bus);
	ruleset_free(&env->rs);
	if (env->sysfd >= 0)
		close(env->sysfd);
	if (env->rootfd >= 0)
		close(env->rootfd);
}

static int cmd_plan(struct env *env, const struct opts *o)
{
	struct plan p;
	int ret = EXIT_OK;
	size_t i;

	plan_build(&p, &env->bus, &env->rs, &env->mod, NULL);
	if (o->preflight) {
		ret = preflight_run(&p, env->rootfd, stdout);
		plan_free(&p);
		return ret;
	}
	if (o->json)
		print_plan_json(&p, stdout);
	else
		print_plan(&p, stdout);
	if (env->rs.disable)
		log_warn("vfio_variant.disable=1: bind would do nothing");
	for (i = 0; i < p.n; i++)
		if (p.e[i].action == ACT_REFUSED || p.e[i].action == ACT_HELD)
			ret = EXIT_PROBLEM;
	if (env->rs.report.errors)
		ret = EXIT_PROBLEM;
	if (env->mod.status < 0)
		ret = EXIT_ENV;
	plan_free(&p);
	return ret;
}

static int cmd_explain(struct env *env, const struct opts *o)
{
	struct pci_addr a;
	struct pci_dev *d;
	struct candidate *c = NULL;
	size_t n = 0, top;
	struct plan p;

	if (!o->arg || pci_addr_parse(o->arg, &a) < 0)
		return usage_error("explain needs a PCI address, e.g. 0000:01:00.0 (got '%s')",
				   o->arg ? o->arg : "");
	d = pci_find(&env->bus, &a);
	if (!d) {
		log_err("%s: no such PCI device", o->arg);
		return EXIT_ENV;
	}
	pci_details(&env->bus, d);
	mod_candidates(&env->mod, d->modalias, &c, &n);
	top = variant_rank(c, n);
	plan_build(&p, &env->bus, &env->rs, &env->mod, &a);
	print_explain(stdout, &env->bus, d, c, n, top, env->mod.dir, &p);
	free(c);
	plan_free(&p);
	return EXIT_OK;
}

static int cmd_status(struct env *env, const struct opts *o)
{
	struct state st;
	struct plan p;

	state_load(&st, env->rootfd);
	plan_build(&p, &env->bus, &env->rs, &env->mod, NULL);
	print_status(stdout, o->json, env->rootfd, &env->bus, &st, &p);
	plan_free(&p);
	state_free(&st);
	return EXIT_OK;
}

/* The modules an image needs: vfio core, then the planned drivers or,
 * with --all, every variant. --all needs no /sys: image builds for
 * another machine. */
static int cmd_modules(struct env *env, const struct opts *o)
{
	static const char *const core[] = { "vfio", "vfio_iommu_type1", VARIANT_GENERIC };
	struct mod_set set = { NULL, 0 };
	struct plan p;
	size_t i;
	int ret = EXIT_OK, r;

	if (env->mod.status < 0)
		return EXIT_ENV;
	for (i = 0; i < sizeof(core) / sizeof(core[0]); i++)
		if ((r = mod_set_add(&env->mod, &set, core[i])) < 0 && r != -ENOENT)
			ret = EXIT_ENV;
	if (o->all) {
		if (mod_set_add_variants(&env->mod, &set) < 0)
			ret = EXIT_ENV;
	} else {
		plan_build(&p, &env->bus, &env->rs, &env->mod, NULL);
		/* refused only because the running host uses it: at boot nothing
		 * is mounted and it is claimed (the pre-flight guards / and /boot) */
		for (i = 0; i < p.n; i++)
			if (p.e[i].module[0] && (p.e[i].action != ACT_REFUSED || p.e[i].host_use) &&
			    mod_set_add(&env->mod, &set, p.e[i].module) == -ENOMEM)
				ret = EXIT_ENV;
		if (imagemods_add(&env->mod, &set, &env->bus, &env->rs, &p) < 0)
			ret = EXIT_ENV;
		plan_free(&p);
	}
	mod_set_sort(&set);
	for (i = 0; i < set.n; i++)
		printf("%s\n", set.names[i]);
	mod_set_free(&set);
	return ret;
}

/* verify [BDF...]: open each device as a VMM does (binder/verify.c). */
static int cmd_verify(struct env *env, const struct opts *o)
{
	struct pci_dev **devs;
	size_t n = 0, i;
	int ret = EXIT_OK, k, e;
	bool store_warned = false;
	struct json j;

	if (!(devs = calloc(env->bus.n + (size_t)o->n_pos + 1, sizeof(*devs))))
		return EXIT_ENV;
	for (k = 0; k < o->n_pos; k++) {
		struct pci_addr a;
		struct pci_dev *d;

		if (pci_addr_parse(o->pos[k], &a) < 0) {
			free(devs);
			return usage_error("verify takes PCI addresses, e.g. 0000:01:00.0 (got '%s')", o->pos[k]);
		}
		if (!(d = pci_find(&env->bus, &a))) {
			log_err("%s: no such PCI device", o->pos[k]);
			ret = EXIT_ENV;
			continue;
		}
		devs[n++] = d;
	}
	if (!o->n_pos)      /* every device's driver is asked */
		(void)pci_index_drivers(&env->bus, env->bus.n);
	for (i = 0; !o->n_pos && i < env->bus.n; i++) {
		struct pci_dev *d = &env->bus.devs[i];

		pci_details(&env->bus, d);
		if (variant_is_vfio_driver(d->driver))
			devs[n++] = d;
	}
	json_init(&j, stdout);
	if (o->json)
		json_array_begin(&j);
	else if (!n && !o->n_pos)
		printf("(no device is on a VFIO driver)\n");
	for (i = 0; i < n; i++) {
		struct verify_result res;

		if (!devs[i]->have_details)
			pci_details(&env->bus, devs[i]);
		if (verify_device(env->rootfd, &env->bus, devs[i], &res) != VS_USABLE && ret == EXIT_OK)
			ret = EXIT_PROBLEM;
		if (o->json)
			verify_json(&j, &res);
		else
			verify_print(&res, stdout);
		if ((e = verify_store(env->rootfd, &res)) < 0 && !store_warned) {
			log_warn_errno(e, "cannot keep the result under /%s: %m (status will not show it)", VERIFY_DIR);
			store_warned = true;
		}
		verify_result_free(&res);
	}
	if (o->json)
		json_array_end(&j);
	free(devs);
	return ret;
}

static int cmd_bind(struct env *env, const struct opts *o)
{
	struct bind_run r = { .bus = &env->bus, .mod = &env->mod, .rs = &env->rs,
			      .rootfd = env->rootfd, .dry_run = o->dry_run || env->rs.dry_run,
			      .guarded = true, .guard_fd = env->guard_fd };
	struct pci_addr only;
	int ret;

	if (o->device && pci_addr_parse(o->device, &only) < 0)
		return usage_error("--device needs a PCI address (got '%s')", o->device);
	if (env->rs.disable) {
		log_notice("disabled by vfio_variant.disable=1: doing nothing");
		return EXIT_OK;
	}
	if (!o->device && env->rs.n_vfs && bind_create_vfs(&env->bus, &env->mod, &env->rs, r.dry_run)) {
		pci_free(&env->bus);
		if (pci_scan(&env->bus, env->sysfd) < 0)
			return EXIT_ENV;
	}
	if (o->device) {
		int e = event_bus(&env->bus, env->sysfd, &only, &env->rs);

		if (e < 0) {
			log_debug_errno(e, "%s: not present (%m): nothing to do", o->device);
			return o->strict && e != -ENODEV ? EXIT_ENV : EXIT_OK;
		}
		if (!select_listed(&env->bus, &env->rs, &only)) {
			log_debug("%s: not listed by any rule: left alone", o->device);
			return EXIT_OK;
		}
		open_modules(env, o);
		r.only = &only;
	}
	bind_run(&r);
	bind_run_summary(&r, &env->start);
	ret = bind_run_exit(&r, o->strict, false);
	bind_leave(&r.b, ret);
	bind_run_free(&r);
	return ret;
}

static int cmd_claim(struct env *env, const struct opts *o)
{
	struct claim_req q = { .rootfd = env->rootfd, .bus = &env->bus, .mod = &env->mod,
			       .rs = &env->rs, .arg = o->arg, .persist = o->persist,
			       .force = o->force, .dry_run = o->dry_run };

	return claim_run(&q);
}

static int cmd_release(struct env *env, const struct opts *o)
{
	struct claim_req q = { .rootfd = env->rootfd, .bus = &env->bus, .mod = &env->mod,
			       .rs = &env->rs, .arg = o->arg, .persist = o->persist,
			       .dry_run = o->dry_run };

	return release_run(&q);
}

static int run(int argc, char **argv, const char **pos)
{
	struct opts o = { .root = "/", .pos = pos };
	const struct command *c;
	struct timespec start;
	struct env env;
	int ret, guard_fd = -1;

	clock_gettime(CLOCK_MONOTONIC, &start);

	ret = parse_args(argc, argv, &o);
	if (ret != EXIT_OK)
		return ret;
	c = o.cmd;
	if ((c->flags & CMD_AS_ROOT) && geteuid() != 0 && !strcmp(o.root, "/")) {
		fprintf(stderr, "vfio-variant: %s changes which driver owns a device%s: run it as root (sudo vfio-variant %s ...)\n",
			c->name, o.persist ? " and writes /etc/vfio-variant.d" : "", c->name);
		return EXIT_PROBLEM;
	}
	if (c->flags & CMD_KMSG) {
		char kmsg[4096];
		snprintf(kmsg, sizeof(kmsg), "%s/dev/kmsg", strcmp(o.root, "/") ? o.root : "");
		log_open(kmsg, o.verbose ? LOG_DEBUG : LOG_INFO);
	} else {
		log_open(NULL, o.verbose ? LOG_DEBUG : LOG_WARNING);
	}
	if (c->run == cmd_modules && o.all) {
		/* --all needs no /sys: images built for another machine */
		memset(&env, 0, sizeof(env));
		env.rootfd = env.sysfd = -1;
		env.bus.devsfd = -1;
		ruleset_init(&env.rs);
		open_modules(&env, &o);
		ret = cmd_modules(&env, &o);
		close_env(&env);
		log_close();
		return ret;
	}
	/* the boot's bind forks its guard (bind.h) first thing, while the
	 * process is small: a copy of what is already written costs little */
	if (c->run == cmd_bind && !o.device && !o.dry_run)
		guard_fd = bind_guard();
	ret = open_env(&env, &o, &start, guard_fd);
	if (ret == EXIT_OK)
		ret = c->run(&env, &o);
	else if ((c->flags & CMD_BOOT) && !o.strict)
		ret = EXIT_OK;
	close_env(&env);
	log_close();
	return ret;
}

int main(int argc, char **argv)
{
	const char **pos = calloc((size_t)argc, sizeof(*pos));
	int ret;

	if (!pos)
		return EXIT_ENV;
	ret = run(argc, argv, pos);
	free(pos);
	return ret;
}
