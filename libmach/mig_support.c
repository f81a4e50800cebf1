/* SPDX-License-Identifier: MIT */
/* The MIG runtime helpers generated code calls: memory, strings, replies. */
#include "internal.h"

#include <string.h>

void mig_allocate(vm_address_t *addr_p, vm_size_t size)
{
	if (vm_allocate(mach_task_self(), addr_p, size, VM_FLAGS_ANYWHERE) != KERN_SUCCESS)
		*addr_p = 0;
}

void mig_deallocate(vm_address_t addr, vm_size_t size)
{
	(void)vm_deallocate(mach_task_self(), addr, size);
}

/* Copies at most len - 1 characters and terminates; returns the count
 * written including the terminator (len when truncated). */
int mig_strncpy(char *dest, const char *src, int len)
{
	int n;

	if (len <= 0 || dest == NULL)
		return 0;
	if (src == NULL) {
		dest[0] = '\0';
		return 1;
	}
	for (n = 0; n < len - 1 && src[n] != '\0'; n++)
		dest[n] = src[n];
	dest[n] = '\0';
	return n + 1;
}

/* As mig_strncpy, and the rest of the len bytes are zeroed. */
int mig_strncpy_zerofill(char *dest, const char *src, int len)
{
	int n = 0;

	if (len <= 0 || dest == NULL)
		return 0;
	if (src != NULL)
		while (n < len - 1 && src[n] != '\0') {
			dest[n] = src[n];
			n++;
		}
	memset(dest + n, 0, (size_t)(len - n));
	if (src == NULL)
		return 0;
	return n + 1;
}

void mig_reply_setup(mach_msg_header_t *request, mach_msg_header_t *reply)
{
	mig_reply_error_t *r = (mig_reply_error_t *)reply;

	r->Head.msgh_bits = MACH_MSGH_BITS(MACH_MSGH_BITS_REMOTE(request->msgh_bits), 0);
	r->Head.msgh_size = sizeof(mig_reply_error_t);
	r->Head.msgh_remote_port = request->msgh_remote_port;
	r->Head.msgh_local_port = MACH_PORT_NULL;
	r->Head.msgh_voucher_port = MACH_PORT_NULL;
	r->Head.msgh_id = request->msgh_id + 100;
	r->NDR = NDR_record;
	r->RetCode = KERN_SUCCESS;
}
