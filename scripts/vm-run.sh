#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boots the machipc test kernel in QEMU, loads machipc.ko, runs a command in
# the guest, unloads the module, scans for leaks, and fails on any splat.
#
# Usage: scripts/vm-run.sh [options] -- CMD...
#   --user             run CMD as an unprivileged user (uid/gid 1000)
#   --kernel DIR       kernel build directory (default: the cached test kernel)
#   --module FILE      module to load (default: ./machipc.ko); --no-module: none
#   --timeout SECONDS  whole-run limit (default 900)
#   --smp N, --mem MB  guest size (default 2 vCPUs, 2048 MB)
#   --icount           deterministic clock: TCG on one vCPU, one thread, with
#                      `-icount shift=0,sleep=off`, so the guest clock advances
#                      1 ns per instruction executed (timings become
#                      instruction counts, the same whatever the host load)
#   --plant-splat      write a fake WARNING into the guest's kernel log (self-test)
#   --dmesg FILE       keep the guest's kernel log here
#   --results FILE     keep what the command wrote to $MACHIPC_RESULTS here
#   --keep FILE        keep the file the command wrote as /tmp/job/$(basename FILE)
#
# The host's root is shared read-only with the guest, which makes it its root
# (switch_root, not chroot, so user namespaces work), so host-built programs
# (dynamic or static) run unchanged; /tmp is a tmpfs.
# Exit status: CMD's status, or nonzero if the module failed to load or
# unload, the guest hung, or the kernel log shows a splat.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$HERE")
. "$HERE/versions.env"
. "$HERE/lib.sh"

USER_MODE=0
KERNEL="$CACHE/kernel-test"
MODULE="$REPO/machipc.ko"
TIMEOUT=900
SMP=2
# `acpi=off` avoids the AML interpreter's hang on PCI interrupt routing
# under TCG, but then the kernel finds its CPUs in SeaBIOS's MP table, which
# lists only the boot CPU: the guest has one CPU whatever -smp says.
# VM_ACPI=acpi=noirq reads the CPUs from the MADT (two CPUs) and still
# leaves PCI interrupts to the MP table. `make bench` uses it; `make check`
# does not by default: on the KASAN kernel about one boot in fifteen hit a
# KASAN report in early boot (an interrupt during identify_cpu, before any
# module), which would make CI flaky. `VM_ACPI=acpi=noirq make check` runs
# the suite on two CPUs.
ACPI=${VM_ACPI:-acpi=off}
MEM=2048
PLANT=0
ICOUNT=0
DMESG_OUT=""
RESULTS_OUT=""
KEEP=""
while [ $# -gt 0 ]; do
	case "$1" in
	--user) USER_MODE=1 ;;
	--kernel) KERNEL=$2; shift ;;
	--module) MODULE=$2; shift ;;
	--no-module) MODULE="" ;;
	--timeout) TIMEOUT=$2; shift ;;
	--smp) SMP=$2; shift ;;
	--mem) MEM=$2; shift ;;
	--plant-splat) PLANT=1 ;;
	--icount) ICOUNT=1 ;;
	--dmesg) DMESG_OUT=$2; shift ;;
	--results) RESULTS_OUT=$2; shift ;;
	--keep) KEEP=$2; shift ;;
	--) shift; break ;;
	*) echo "vm-run: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
[ $# -gt 0 ] || { echo "usage: vm-run.sh [options] -- CMD..." >&2; exit 2; }

[ -z "$MODULE" ] || MODULE=$(realpath "$MODULE")
BZ="$KERNEL/arch/x86/boot/bzImage"
[ -f "$BZ" ] || { echo "vm-run: no kernel at $BZ; run 'make setup' first" >&2; exit 2; }
[ -z "$MODULE" ] || [ -f "$MODULE" ] || { echo "vm-run: no module at $MODULE; run 'make' first" >&2; exit 2; }

# --- accelerator: KVM only when it really works ---------------------------
accel() {
	local probe="$CACHE/kvm-probe"
	if ! grep -qwE 'vmx|svm' /proc/cpuinfo || [ ! -w /dev/kvm ]; then
		echo tcg "no vmx/svm CPU flag or /dev/kvm not writable"
		return
	fi
	if [ ! -f "$probe" ]; then
		# A KVM guest that hangs right after the firmware is a known trap on
		# this machine kind: boot once with a short timeout and remember.
		if timeout 30 qemu-system-x86_64 -accel kvm -cpu host -m 256 -nographic -no-reboot \
			-kernel "$BZ" -append "console=ttyS0 $ACPI panic=-1 rdinit=/nonexistent" \
			</dev/null 2>&1 | grep -q "Kernel panic"; then
			echo kvm >"$probe"
		else
			echo tcg >"$probe"
		fi
	fi
	if [ "$(cat "$probe")" = kvm ]; then echo kvm "probe boot succeeded"; else echo tcg "KVM probe boot hung"; fi
}
read -r ACCEL WHY < <(accel)
if [ $ICOUNT = 1 ]; then
	# icount needs TCG and one translation thread (it is incompatible with
	# MTTCG); a second vCPU would only interleave round-robin on that thread.
	SMP=1
	ACCEL_ARGS=(-accel tcg,thread=single -cpu max -icount shift=0,sleep=off)
	echo "vm-run: using TCG with -icount shift=0,sleep=off on 1 vCPU: 1 guest ns = 1 instruction"
elif [ "$ACCEL" = kvm ]; then
	ACCEL_ARGS=(-accel kvm -cpu host)
	echo "vm-run: using KVM ($WHY)"
else
	ACCEL_ARGS=(-accel tcg,thread=multi -cpu max)
	echo "vm-run: using TCG software emulation ($WHY); timings are only indicative"
fi

# --- initramfs: busybox and an /init that does the run ------------------------
VMDIR="$REPO/build/vm"
mkdir -p "$VMDIR"
INITRD="$VMDIR/initramfs.cpio.gz"
if [ ! -f "$INITRD" ] || [ "$HERE/vm-init.sh" -nt "$INITRD" ] || [ "$0" -nt "$INITRD" ]; then
	R="$VMDIR/initramfs"
	rm -rf "$R" && mkdir -p "$R"/{bin,proc,sys,dev,newroot,tmp}
	cp /bin/busybox "$R/bin/busybox"
	cp "$HERE/vm-init.sh" "$R/init"
	chmod +x "$R/init"
	(cd "$R" && find . | cpio -o -H newc --quiet | gzip -1 >"$INITRD")
fi

JOB=$(mktemp -d "$VMDIR/job.XXXXXX")
trap 'rm -rf "$JOB"' EXIT
# mktemp's 0700 would keep --user's uid 1000 from reading cmd.sh.
chmod 755 "$JOB"
{
	echo "cd '$PWD'"
	printf '%q ' "$@"
	echo
} >"$JOB/cmd.sh"
cat >"$JOB/env.sh" <<EOF
REPO='$REPO'
MODULE='$MODULE'
USER_MODE=$USER_MODE
PLANT=$PLANT
EOF

set +e
timeout --foreground "$TIMEOUT" qemu-system-x86_64 "${ACCEL_ARGS[@]}" \
	-M pc -nic none -smp "$SMP" -m "$MEM" -nographic -no-reboot \
	-kernel "$BZ" -initrd "$INITRD" \
	-append "console=ttyS0 $ACPI panic=-1 oops=panic quiet kmemleak=on tsc=reliable" \
	-fsdev local,id=r,path=/,security_model=none,readonly=on,multidevs=remap \
	-device virtio-9p-pci,fsdev=r,mount_tag=root \
	-fsdev local,id=j,path="$JOB",security_model=none \
	-device virtio-9p-pci,fsdev=j,mount_tag=job \
	-fsdev local,id=repo,path="$REPO",security_model=none,readonly=on,multidevs=remap \
	-device virtio-9p-pci,fsdev=repo,mount_tag=repo \
	</dev/null
qrc=$?
set -e
if [ $qrc -eq 124 ]; then
	echo "vm-run: FAIL: the guest did not finish within ${TIMEOUT}s (hung?); killed" >&2
	exit 124
fi
if [ ! -f "$JOB/rc" ]; then
	echo "vm-run: FAIL: the guest stopped without reporting a result (qemu exit $qrc)" >&2
	[ -f "$JOB/dmesg.txt" ] && tail -50 "$JOB/dmesg.txt" >&2
	exit 1
fi
[ -z "$DMESG_OUT" ] || cp "$JOB/dmesg.txt" "$DMESG_OUT"
[ -z "$RESULTS_OUT" ] || [ ! -f "$JOB/results.txt" ] || cp "$JOB/results.txt" "$RESULTS_OUT"
[ -z "$KEEP" ] || [ ! -f "$JOB/$(basename "$KEEP")" ] || cp "$JOB/$(basename "$KEEP")" "$KEEP"

fail=0
rc=$(cat "$JOB/rc")
load=$(cat "$JOB/load" 2>/dev/null || echo 0)
unload=$(cat "$JOB/unload" 2>/dev/null || echo 0)
if [ "$load" != 0 ]; then echo "vm-run: FAIL: insmod failed ($load)" >&2; fail=1; fi
if [ "$unload" != 0 ]; then echo "vm-run: FAIL: rmmod failed ($unload)" >&2; fail=1; fi
if [ "$rc" != 0 ]; then echo "vm-run: FAIL: command exited $rc" >&2; fail=1; fi
if [ -s "$JOB/kmemleak.txt" ]; then
	echo "vm-run: FAIL: kmemleak reports leaks:" >&2
	head -40 "$JOB/kmemleak.txt" >&2
	fail=1
fi
if "$HERE/splat-scan.sh" "$JOB/dmesg.txt"; then
	echo "vm-run: FAIL: kernel log shows a splat (above)" >&2
	fail=1
fi
[ $fail = 0 ] && echo "vm-run: OK"
exit $fail
