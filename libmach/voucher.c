/* SPDX-License-Identifier: MIT */
/* Vouchers: none are ever attached, so there is nothing to adopt. */
#include "internal.h"

boolean_t voucher_mach_msg_set(mach_msg_header_t *msg)
{
	(void)msg;
	return FALSE;
}

void voucher_mach_msg_clear(mach_msg_header_t *msg)
{
	(void)msg;
}

voucher_mach_msg_state_t voucher_mach_msg_adopt(mach_msg_header_t *msg)
{
	(void)msg;
	return VOUCHER_MACH_MSG_STATE_UNCHANGED;
}

void voucher_mach_msg_revert(voucher_mach_msg_state_t state)
{
	(void)state;
}

kern_return_t mach_voucher_deallocate(mach_port_name_t voucher)
{
	(void)voucher;
	return KERN_SUCCESS;
}
