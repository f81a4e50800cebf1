/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The interface between machipc's C shim (rust/shim.c) and its Rust crate,
 * both ways. shim.c includes this file, so the C compiler checks every
 * definition and call against these prototypes; the Rust side declares each
 * function once, with the same signature: the machipc_shim_* functions in
 * rust/ffi.rs (`mod c`), the machipc_rust_* callbacks in rust/callbacks.rs.
 * A change here must be made there too; scripts/shim-check.py (run by
 * `make check`) compares the two sides.
 */
#ifndef MACHIPC_SHIM_H
#define MACHIPC_SHIM_H

#include <linux/compiler_types.h>
#include <linux/types.h>

struct file;
struct page;
struct poll_table_struct;
struct workqueue_struct;

/* Implemented in Rust (rust/callbacks.rs), called by the shim. */
void *machipc_rust_open(void);
void machipc_rust_release(void *space);
long machipc_rust_ioctl(void *space, unsigned int cmd, unsigned long arg);
void *machipc_rust_space_clone(void *space);
__poll_t machipc_rust_port_poll(void *portfd, struct file *file, struct poll_table_struct *wait);
ssize_t machipc_rust_port_read(void *portfd, char __user *buf, size_t len, int nonblock);
void machipc_rust_port_release(void *portfd);
void machipc_rust_right_release(void *rightfd);

/* Implemented in C (rust/shim.c), called from rust/ffi.rs. */

int machipc_shim_register(void);
void machipc_shim_deregister(void);
void *machipc_shim_space_of_fd(int fd);
struct file *machipc_shim_port_file(void *portfd);
int machipc_shim_file_kind(struct file *file, void **rightfd);
struct file *machipc_shim_right_file(void *rightfd);
void machipc_shim_cond_resched(void);
void machipc_shim_current_kids(u32 *euid, u32 *egid, u32 *ruid, u32 *rgid);
const void *machipc_shim_current_cred(void);
u32 machipc_shim_uid_in_current_ns(u32 kuid);
u32 machipc_shim_gid_in_current_ns(u32 kgid);
void *machipc_shim_get_tgid(void);
void machipc_shim_put_pid(void *pid);
bool machipc_shim_kcache_push(void *kmsg);
void *machipc_shim_kcache_pop(void);
void *machipc_shim_kcache_take(u32 cpu);
u32 machipc_shim_kcache_len(u32 cpu);
bool machipc_shim_pid_is_current(void *pid);
int machipc_shim_pid_vnr(void *pid);
u32 machipc_shim_pid_version(void *pid);
u64 machipc_shim_current_exec_id(void);
bool machipc_shim_exec_id(void *pid, u64 *id);
void *machipc_shim_image_lock(void *pid, u64 exec_id);
void machipc_shim_image_unlock(void *task);
long machipc_shim_map_copy(const void *data, size_t len);
size_t machipc_shim_ool_map_min(void);
void machipc_shim_user_limits(u64 *spaces, u64 *ports, u64 *bytes);
bool machipc_shim_capable_resource(void);
void machipc_shim_kill_current_for_full_space(void);
unsigned int machipc_shim_max_bootstrap_names(void);
long machipc_shim_map_pages(struct page **pages, unsigned long count);
int machipc_shim_unmap(unsigned long addr, size_t len);
unsigned long machipc_shim_alloc_pages(struct page **pages, unsigned long n);
void machipc_shim_put_pages(struct page **pages, unsigned long n);
int machipc_shim_copy_in(struct page **dst, unsigned long ndst, unsigned long uaddr, size_t len);
int machipc_shim_pin_to_cpu(unsigned int cpu);
void machipc_shim_unpin(void);
int machipc_shim_set_cpu_online(unsigned int cpu, bool online);
void *machipc_shim_find_pid(int nr);
bool machipc_shim_may_attach(void *pid);
bool machipc_shim_task_usage(void *pid, u32 *kids, u64 *usage);
void *machipc_shim_get_thread_pid(void);
bool machipc_shim_thread_exec_id(void *pid, u64 *id);
void *machipc_shim_thread_image_lock(void *pid, u64 exec_id);
bool machipc_shim_thread_in(void *pid, void *tgid);
long machipc_shim_threads(void *tgid, void **out, unsigned long max);
bool machipc_shim_thread_info(void *pid, u64 *info, char *name);
int machipc_shim_faults_init(void);
void machipc_shim_faults_exit(void);
bool machipc_shim_take_fault(int *sig, int *code, unsigned long *addr);
int machipc_shim_teardown_wq_init(void);
void machipc_shim_teardown_wq_exit(void);
struct workqueue_struct *machipc_shim_teardown_wq(void);
void *machipc_shim_ipc_ns_get(void);
void machipc_shim_ipc_ns_put(void *ns);
bool machipc_shim_ipc_ns_is_current(void *ns);
bool machipc_shim_ipc_ns_admin(void *ns);
void machipc_shim_host_counts(u64 *v);
bool machipc_shim_may_name(void *pid);

#endif
