#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# /init of the machipc test VM (see scripts/vm-run.sh).
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
mkdir -p $N/tmp/job $N/tmp/home
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 job $N/tmp/job
mount -t debugfs debugfs $N/sys/kernel/debug
mount -t tmpfs run $N/run 2>/dev/null
J=$N/tmp/job
. $J/env.sh
# The repository is shared on its own, so it is visible at its host path
# even when that path is under /tmp (now a tmpfs in the guest).
mkdir -p "$N$REPO" 2>/dev/null
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose repo "$N$REPO"
echo 0 > $J/load; echo 0 > $J/unload
ip link set lo up 2>/dev/null
if [ -n "$MODULE" ]; then
	chroot $N /sbin/insmod "$MODULE" || echo $? > $J/load
fi
[ "$PLANT" = 1 ] && echo "WARNING: CPU: 0 PID: 1 at planted by vm-run self-test" > /dev/kmsg
if [ "$(cat $J/load)" = 0 ]; then
	if [ "$USER_MODE" = 1 ]; then
		: > $J/results.txt; chmod 666 $J/results.txt
		chroot $N /usr/bin/env HOME=/tmp/home MACHIPC_RESULTS=/tmp/job/results.txt setpriv --reuid=1000 --regid=1000 --clear-groups /bin/sh /tmp/job/cmd.sh
	else
		chroot $N /usr/bin/env HOME=/tmp/home MACHIPC_RESULTS=/tmp/job/results.txt /bin/sh /tmp/job/cmd.sh
	fi
	echo $? > $J/rc
else
	echo 1 > $J/rc
fi
if [ -n "$MODULE" ] && [ "$(cat $J/load)" = 0 ]; then
	chroot $N /sbin/rmmod machipc || echo $? > $J/unload
fi
if [ -e $N/sys/kernel/debug/kmemleak ]; then
	# kmemleak ignores objects younger than 5 s.
	sleep 6
	echo scan > $N/sys/kernel/debug/kmemleak
	cat $N/sys/kernel/debug/kmemleak > $J/kmemleak.txt
fi
dmesg > $J/dmesg.txt
sync
umount $J
reboot -f
