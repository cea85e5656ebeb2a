# SPDX-License-Identifier: GPL-2.0
#
#   make              build against the running kernel (or KDIR=...)
#   make check        sparse (C=2) and checkpatch --strict: zero findings
#   make test         everything CI runs; ends with "N passed, N failed"
#   make newer        the 6.12 PREEMPT and PREEMPT_RT test kernels, Debian's 6.12 images
#   make demo         the defect and the fix side by side, in a VM
#   make e2e          the IPsec scenario on Debian's, the stock and the affected kernel
#   make bench        what the module costs, measured in the test VM
#   make torture      load/unload under traffic, netns churn and CPU hotplug
#   make debug        KUnit and e2e on the debug kernels (KASAN, lockdep, kmemleak)
#   make faults       every allocation of load and netns creation failed in turn
#   make ipv6m        IPv6 built as a module, loaded before and after this one
#   make deb          xfrm-dst-acct-dkms_<version>_all.deb in out/
#   make rpm          xfrm-dst-acct-dkms-<version>-1.noarch.rpm in out/ (EL hosts)
#   make deb-roundtrip, make rpm-roundtrip
#                     install, dkms status, remove (as root, one after the other)
#   make clean
#
# Every target that boots a kernel also takes the one you point at:
#   make e2e KERNEL=/boot/vmlinuz-R MODULES=/lib/modules/R [BUILD=dir]

KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null || \
		rm -rf src/*.o kunit/*.o *.o *.ko *.mod* .*.cmd src/.*.cmd \
			kunit/.*.cmd Module.symvers modules.order

check:
	scripts/check.sh

test:
	scripts/test.sh

newer:
	scripts/test.sh --newer

demo:
	scripts/e2e/demo.sh

e2e:
	scripts/e2e/run.sh

bench:
	scripts/bench/run.sh

torture:
	scripts/torture/run.sh

debug:
	scripts/torture/debug-suites.sh

faults:
	scripts/torture/faults.sh

ipv6m:
	scripts/torture/ipv6m.sh

deb:
	scripts/deb/build.sh

deb-roundtrip: deb
	scripts/deb/roundtrip.sh

rpm:
	scripts/rpm/build.sh

rpm-roundtrip: rpm
	scripts/rpm/roundtrip.sh

test-status:
	scripts/status/test.sh

.PHONY: all modules clean check test newer demo e2e bench torture debug faults ipv6m deb deb-roundtrip rpm rpm-roundtrip test-status
