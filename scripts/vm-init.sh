#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# /init of the machipc test VM (see scripts/vm-run.sh).
#
# Stage 1 (the initramfs) mounts the host's root and the job directory,
# then makes the host's root the real root with switch_root rather than
# chroot: Linux refuses unshare(CLONE_NEWUSER) to a chrooted process, and
# the tests need user namespaces. Stage 2 is this script again, run from
# a copy in the new root's /tmp together with busybox: it loads the module,
# runs the command, unloads, scans for leaks, saves the kernel log and
# reboots.
V=/tmp/.vm-init
if [ "$1" != stage2 ]; then
	/bin/busybox --install -s /bin
	export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
	mount -t proc proc /proc
	mount -t sysfs sys /sys
	mount -t devtmpfs dev /dev
	N=/newroot
	mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose root $N || { echo "vm-init: cannot mount host root"; reboot -f; }
	mount -t proc proc $N/proc
	mount -t sysfs sys $N/sys
	mount -t devtmpfs dev $N/dev
	mount -t tmpfs tmp $N/tmp
	mkdir -p $N/tmp/job $N/tmp/home $N$V
	mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 job $N/tmp/job
	mount -t debugfs debugfs $N/sys/kernel/debug
	mount -t tmpfs run $N/run 2>/dev/null
	. $N/tmp/job/env.sh
	# The repository is shared on its own, so it is visible at its host path
	# even when that path is under /tmp (now a tmpfs in the guest).
	mkdir -p "$N$REPO" 2>/dev/null
	mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose repo "$N$REPO"
	ip link set lo up 2>/dev/null
	cp /bin/busybox /init $N$V/
	exec switch_root $N $V/busybox sh $V/init stage2
	echo "vm-init: switch_root failed"
	reboot -f
fi

B=$V/busybox
J=/tmp/job
. $J/env.sh
echo 0 > $J/load; echo 0 > $J/unload
if [ -n "$MODULE" ]; then
	/sbin/insmod "$MODULE" || echo $? > $J/load
fi
[ "$PLANT" = 1 ] && echo "WARNING: CPU: 0 PID: 1 at planted by vm-run self-test" > /dev/kmsg
if [ "$($B cat $J/load)" = 0 ]; then
	if [ "$USER_MODE" = 1 ]; then
		: > $J/results.txt; $B chmod 666 $J/results.txt
		/usr/bin/env HOME=/tmp/home MACHIPC_RESULTS=/tmp/job/results.txt setpriv --reuid=1000 --regid=1000 --clear-groups /bin/sh /tmp/job/cmd.sh
	else
		/usr/bin/env HOME=/tmp/home MACHIPC_RESULTS=/tmp/job/results.txt /bin/sh /tmp/job/cmd.sh
	fi
	echo $? > $J/rc
else
	echo 1 > $J/rc
fi
if [ -n "$MODULE" ] && [ "$($B cat $J/load)" = 0 ]; then
	/sbin/rmmod machipc || echo $? > $J/unload
fi
if [ -e /sys/kernel/debug/kmemleak ]; then
	# kmemleak ignores objects younger than 5 s.
	$B sleep 6
	echo scan > /sys/kernel/debug/kmemleak
	$B cat /sys/kernel/debug/kmemleak > $J/kmemleak.txt
fi
$B dmesg > $J/dmesg.txt
$B sync
$B umount $J
$B reboot -f
