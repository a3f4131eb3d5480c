# SPDX-License-Identifier: GPL-2.0-or-later
# mk/install.mk — `make install` / `make uninstall`, included by the top
# Makefile. Honours DESTDIR (staging root, for packages) and PREFIX (default
# /usr). Paths that tools look up at fixed places do not move with PREFIX:
# initramfs-tools reads /usr/share/initramfs-tools, the example config goes
# to SYSCONFDIR (/etc) only when no config is there yet.
#
#   $(PREFIX)/sbin/vfio-variant                      the binary (build/vfio-variant;
#                                                    with ARCH=arm64 build/arm64/vfio-variant)
#   $(PREFIX)/lib/dracut/modules.d/50vfio-variant/    dracut module (with its
#                                                     copy of the initrd unit;
#                                                     the old 90vfio-variant/
#                                                     is removed, see below)
#   $(PREFIX)/lib/initcpio/{install,hooks}/vfio-variant  mkinitcpio hook
#   /usr/share/initramfs-tools/hooks/vfio-variant      initramfs-tools hook
#   /usr/share/initramfs-tools/scripts/init-top/00-vfio-variant
#   $(PREFIX)/lib/udev/rules.d/90-vfio-variant.rules  hotplug / SR-IOV VFs
#   $(PREFIX)/lib/systemd/system/vfio-variant.service        host unit (not enabled)
#   $(PREFIX)/lib/systemd/system/vfio-variant-initrd.service mkinitcpio systemd unit
#   $(PREFIX)/share/doc/vfio-variant/vfio-variant.conf.example
#   $(SYSCONFDIR)/vfio-variant.conf                   only if absent
#   $(PREFIX)/share/man/man8/vfio-variant.8, man5/vfio-variant.conf.5 (if present)
#
# The rule and the host unit name the binary by its installed path: with a
# PREFIX other than /usr, /usr/sbin/vfio-variant in them becomes
# $(PREFIX)/sbin/vfio-variant. The initramfs-side files name the binary by
# its path inside the image, which does not depend on PREFIX.
#
# Up to 0.1 the dracut module was 90vfio-variant; dracut-ng reserves 50-59
# for modules shipped outside dracut. Two modules of one name confuse
# dracut, so install removes the old directory's files (only those the
# project put there) next to DRACUTDIR, and the directory when empty.

PREFIX ?= /usr
SBINDIR ?= $(PREFIX)/sbin
SYSCONFDIR ?= /etc
DRACUTDIR ?= $(PREFIX)/lib/dracut/modules.d/50vfio-variant
OLD_DRACUTDIR := $(patsubst %/,%,$(dir $(DRACUTDIR)))/90vfio-variant
DRACUT_FILES := module-setup.sh vfio-variant-hook.sh vfio-variant-initrd.service
INITCPIODIR ?= $(PREFIX)/lib/initcpio
INITRAMFSTOOLSDIR ?= /usr/share/initramfs-tools
UDEVRULESDIR ?= $(PREFIX)/lib/udev/rules.d
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
DOCDIR ?= $(PREFIX)/share/doc/vfio-variant
MANDIR ?= $(PREFIX)/share/man
INSTALL ?= install

INSTALL_MAN8 := $(wildcard man/*.8)
INSTALL_MAN5 := $(wildcard man/*.5)
INSTALL_EXAMPLE := $(wildcard config/vfio-variant.conf)
INSTALL_BINPATH_SED := s|/usr/sbin/vfio-variant|$(SBINDIR)/vfio-variant|g

install: $(VV_OUT)
	$(INSTALL) -d $(DESTDIR)$(SBINDIR)
	$(INSTALL) -m 0755 $(VV_OUT) $(DESTDIR)$(SBINDIR)/vfio-variant
	$(INSTALL) -d $(DESTDIR)$(DRACUTDIR)
	$(INSTALL) -m 0755 dracut-module/50vfio-variant/module-setup.sh \
		dracut-module/50vfio-variant/vfio-variant-hook.sh $(DESTDIR)$(DRACUTDIR)/
	$(INSTALL) -m 0644 config/vfio-variant-initrd.service $(DESTDIR)$(DRACUTDIR)/vfio-variant-initrd.service
	@for f in $(DRACUT_FILES); do \
		if [ -e $(DESTDIR)$(OLD_DRACUTDIR)/$$f ]; then \
			echo "rm -f $(DESTDIR)$(OLD_DRACUTDIR)/$$f (the module's old name)"; \
			rm -f $(DESTDIR)$(OLD_DRACUTDIR)/$$f; \
		fi; \
	done; \
	if [ -d $(DESTDIR)$(OLD_DRACUTDIR) ]; then rmdir $(DESTDIR)$(OLD_DRACUTDIR) 2>/dev/null || \
		echo "$(DESTDIR)$(OLD_DRACUTDIR): not empty (files not ours): left as it is"; fi
	$(INSTALL) -d $(DESTDIR)$(INITCPIODIR)/install $(DESTDIR)$(INITCPIODIR)/hooks
	$(INSTALL) -m 0644 mkinitcpio-hook/install/vfio-variant $(DESTDIR)$(INITCPIODIR)/install/vfio-variant
	$(INSTALL) -m 0644 mkinitcpio-hook/hooks/vfio-variant $(DESTDIR)$(INITCPIODIR)/hooks/vfio-variant
	$(INSTALL) -d $(DESTDIR)$(INITRAMFSTOOLSDIR)/hooks $(DESTDIR)$(INITRAMFSTOOLSDIR)/scripts/init-top
	$(INSTALL) -m 0755 initramfs-tools/hooks/vfio-variant $(DESTDIR)$(INITRAMFSTOOLSDIR)/hooks/vfio-variant
	$(INSTALL) -m 0755 initramfs-tools/scripts/init-top/00-vfio-variant \
		$(DESTDIR)$(INITRAMFSTOOLSDIR)/scripts/init-top/00-vfio-variant
	$(INSTALL) -d $(DESTDIR)$(UDEVRULESDIR) $(DESTDIR)$(SYSTEMDUNITDIR)
	sed '$(INSTALL_BINPATH_SED)' config/vfio-variant.rules >$(DESTDIR)$(UDEVRULESDIR)/90-vfio-variant.rules
	chmod 0644 $(DESTDIR)$(UDEVRULESDIR)/90-vfio-variant.rules
	sed '$(INSTALL_BINPATH_SED)' config/vfio-variant.service >$(DESTDIR)$(SYSTEMDUNITDIR)/vfio-variant.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/vfio-variant.service
	$(INSTALL) -m 0644 config/vfio-variant-initrd.service $(DESTDIR)$(SYSTEMDUNITDIR)/vfio-variant-initrd.service
ifneq ($(INSTALL_EXAMPLE),)
	$(INSTALL) -d $(DESTDIR)$(DOCDIR)
	$(INSTALL) -m 0644 config/vfio-variant.conf $(DESTDIR)$(DOCDIR)/vfio-variant.conf.example
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/vfio-variant.conf ]; then \
		echo "$(DESTDIR)$(SYSCONFDIR)/vfio-variant.conf exists: left as it is"; \
	else \
		echo "$(INSTALL) -D -m 0644 config/vfio-variant.conf $(DESTDIR)$(SYSCONFDIR)/vfio-variant.conf"; \
		$(INSTALL) -D -m 0644 config/vfio-variant.conf $(DESTDIR)$(SYSCONFDIR)/vfio-variant.conf; \
	fi
endif
ifneq ($(INSTALL_MAN8),)
	$(INSTALL) -d $(DESTDIR)$(MANDIR)/man8
	$(INSTALL) -m 0644 $(INSTALL_MAN8) $(DESTDIR)$(MANDIR)/man8/
endif
ifneq ($(INSTALL_MAN5),)
	$(INSTALL) -d $(DESTDIR)$(MANDIR)/man5
	$(INSTALL) -m 0644 $(INSTALL_MAN5) $(DESTDIR)$(MANDIR)/man5/
endif

# Leaves $(SYSCONFDIR)/vfio-variant.conf (the admin's) alone.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/vfio-variant
	rm -f $(addprefix $(DESTDIR)$(DRACUTDIR)/,$(DRACUT_FILES))
	-rmdir $(DESTDIR)$(DRACUTDIR)
	rm -f $(DESTDIR)$(INITCPIODIR)/install/vfio-variant $(DESTDIR)$(INITCPIODIR)/hooks/vfio-variant
	rm -f $(DESTDIR)$(INITRAMFSTOOLSDIR)/hooks/vfio-variant \
		$(DESTDIR)$(INITRAMFSTOOLSDIR)/scripts/init-top/00-vfio-variant
	rm -f $(DESTDIR)$(UDEVRULESDIR)/90-vfio-variant.rules
	rm -f $(DESTDIR)$(SYSTEMDUNITDIR)/vfio-variant.service $(DESTDIR)$(SYSTEMDUNITDIR)/vfio-variant-initrd.service
	rm -f $(DESTDIR)$(DOCDIR)/vfio-variant.conf.example
	-rmdir $(DESTDIR)$(DOCDIR)
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(INSTALL_MAN8))) \
		$(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(INSTALL_MAN5)))

.PHONY: install uninstall
