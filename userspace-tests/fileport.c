/* SPDX-License-Identifier: MIT */
/*
 * Open files as ports (XNU's fileport_makeport/fileport_makefd,
 * <sys/fileport.h>) and rights as descriptors (machipc_port_to_fd and
 * machipc_fd_to_port): a pipe end through a Mach message to another
 * process, the file's release with its last right, the refused kinds of
 * file and XNU's errnos, a send right through a UNIX socket, no-senders at
 * the last descriptor's close, and send-once descriptors. A call whose
 * answer cannot be written back (EFAULT) installs no descriptor and leaves
 * the caller's rights as they were; so does MACHIPC_IOC_PORT_FD.
 */
#include <mach/mach.h>
#include <mach/notify.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <sys/fileport.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <linux/io_uring.h>
#include <linux/machipc.h>
#include "harness.h"

/* XNU's IKOT_FILEPORT (osfmk/kern/ipc_kobject.h). */
#define IKOT_FILEPORT 34

typedef struct {
	mach_msg_header_t h;
	mach_msg_body_t b;
	mach_msg_port_descriptor_t p;
} port_msg_t;

typedef struct {
	mach_msg_header_t h;
	char body[256];
} rbuf_t;

static mach_port_t new_receive(void)
{
	mach_port_t p;

	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p));
	return p;
}

static mach_port_t new_send_receive(void)
{
	mach_port_t p = new_receive();

	KR_OK(mach_port_insert_right(mach_task_self(), p, p, MACH_MSG_TYPE_MAKE_SEND));
	return p;
}

/* Sends `port` with `disp` in a message to `dest` (COPY_SEND). */
static void send_port(mach_port_t dest, mach_port_t port, mach_msg_type_name_t disp, mach_msg_id_t id)
{
	port_msg_t m;

	memset(&m, 0, sizeof(m));
	m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0) | MACH_MSGH_BITS_COMPLEX;
	m.h.msgh_size = sizeof(m);
	m.h.msgh_remote_port = dest;
	m.h.msgh_id = id;
	m.b.msgh_descriptor_count = 1;
	m.p.name = port;
	m.p.disposition = disp;
	m.p.type = MACH_MSG_PORT_DESCRIPTOR;
	KR_OK(mach_msg(&m.h, MACH_SEND_MSG, sizeof(m), 0, MACH_PORT_NULL, 0, MACH_PORT_NULL));
}

static mach_msg_return_t rcv(mach_port_t port, rbuf_t *b, mach_msg_timeout_t ms)
{
	memset(b, 0, sizeof(*b));
	return mach_msg(&b->h, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, sizeof(*b), port, ms, MACH_PORT_NULL);
}

/* Receives a message carrying one port on `port`; returns the port. */
static mach_port_t rcv_port(mach_port_t port, mach_msg_id_t id)
{
	rbuf_t b;
	port_msg_t *m = (port_msg_t *)&b;

	KR_OK(rcv(port, &b, 10000));
	EXPECT_EQ(m->h.msgh_id, id);
	EXPECT_TRUE(m->h.msgh_bits & MACH_MSGH_BITS_COMPLEX);
	EXPECT_EQ(m->b.msgh_descriptor_count, 1);
	return m->p.name;
}

static void send_simple(mach_port_t dest, mach_msg_type_name_t disp, mach_msg_id_t id)
{
	mach_msg_header_t h = {
		.msgh_bits = MACH_MSGH_BITS(disp, 0),
		.msgh_size = sizeof(h),
		.msgh_remote_port = dest,
		.msgh_id = id,
	};

	KR_OK(mach_msg(&h, MACH_SEND_MSG, sizeof(h), 0, MACH_PORT_NULL, 0, MACH_PORT_NULL));
}

/* Whether the read end `fd` sees its pipe's writers gone (EOF) within
 * `ms` milliseconds. */
static int writers_gone(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1 && (p.revents & POLLHUP);
}

static mach_port_type_t ptype(mach_port_t name)
{
	mach_port_type_t t = 0;

	KR_OK(mach_port_type(mach_task_self(), name, &t));
	return t;
}

static void wait_child_ok(pid_t pid)
{
	int st = 0;

	EXPECT_EQ(waitpid(pid, &st, 0), pid);
	EXPECT_TRUE(WIFEXITED(st));
	EXPECT_EQ(WEXITSTATUS(st), 0);
}

static void expect_errno(int ret, int want)
{
	int e = errno;

	EXPECT_EQ(ret, -1);
	EXPECT_EQ(e, want);
}

TEST(header_and_kobject_type)
{
	int p[2];
	fileport_t fp = FILEPORT_NULL;
	natural_t type = 0;
	mach_vm_address_t addr = 1;

	EXPECT_EQ(sizeof(fileport_t), sizeof(mach_port_t));
	EXPECT_EQ(pipe(p), 0);
	EXPECT_EQ(fileport_makeport(p[1], &fp), 0);
	EXPECT_TRUE(MACH_PORT_VALID(fp));
	EXPECT_EQ(ptype(fp), MACH_PORT_TYPE_SEND);
	KR_OK(mach_port_kobject(mach_task_self(), fp, &type, &addr));
	EXPECT_EQ(type, IKOT_FILEPORT);
	/* A kernel object's hashed address, as on XNU's development kernels. */
	EXPECT_NE(addr, 0);
}

/* The child makes a pipe, sends its write end as a fileport to the
 * parent, and reads: the parent's "hello" through its own descriptor,
 * then end of file only once the parent's descriptor and right are gone
 * (the child told in between, over a second pipe, that it saw no EOF
 * while the parent still held the fileport). */
TEST(pipe_end_through_a_message_to_another_process)
{
	mach_port_t bp = new_send_receive();
	int ack[2];
	pid_t pid;

	KR_OK(task_set_special_port(mach_task_self(), TASK_BOOTSTRAP_PORT, bp));
	EXPECT_EQ(pipe(ack), 0);
	pid = fork();
	EXPECT_TRUE(pid >= 0);
	if (pid == 0) {
		int p[2];
		fileport_t fp;
		char buf[8] = { 0 };

		close(ack[0]);
		EXPECT_EQ(pipe(p), 0);
		EXPECT_EQ(fileport_makeport(p[1], &fp), 0);
		close(p[1]);
		/* The fileport keeps the write end open. */
		EXPECT_TRUE(!writers_gone(p[0], 0));
		send_port(bootstrap_port, fp, MACH_MSG_TYPE_MOVE_SEND, 4242);
		KR(mach_port_type(mach_task_self(), fp, &(mach_port_type_t){ 0 }), KERN_INVALID_NAME);
		EXPECT_EQ(read(p[0], buf, 5), 5);
		EXPECT_EQ(memcmp(buf, "hello", 5), 0);
		/* The parent closed its descriptor but holds the right. */
		EXPECT_TRUE(!writers_gone(p[0], 200));
		EXPECT_EQ(write(ack[1], "k", 1), 1);
		EXPECT_TRUE(writers_gone(p[0], 10000));
		EXPECT_EQ(read(p[0], buf, 1), 0);
		_exit(0);
	}
	close(ack[1]);
	mach_port_t fp = rcv_port(bp, 4242);
	EXPECT_EQ(ptype(fp), MACH_PORT_TYPE_SEND);
	int fd = fileport_makefd(fp);
	EXPECT_TRUE(fd >= 0);
	EXPECT_EQ(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	/* A write-only pipe end, as the child's. */
	EXPECT_EQ(fcntl(fd, F_GETFL) & O_ACCMODE, O_WRONLY);
	EXPECT_EQ(write(fd, "hello", 5), 5);
	EXPECT_EQ(close(fd), 0);
	char c;
	EXPECT_EQ(read(ack[0], &c, 1), 1);
	KR_OK(mach_port_deallocate(mach_task_self(), fp));
	wait_child_ok(pid);
}

/* The file goes with the last send right, wherever the rights are: in
 * the space, or in a message that is received or destroyed. */
TEST(file_released_with_last_right)
{
	int p[2];
	fileport_t fp;
	mach_port_t q = new_send_receive();

	EXPECT_EQ(pipe(p), 0);
	EXPECT_EQ(fileport_makeport(p[1], &fp), 0);
	close(p[1]);
	EXPECT_TRUE(!writers_gone(p[0], 0));
	/* A second send right, in a queued message. */
	send_port(q, fp, MACH_MSG_TYPE_COPY_SEND, 1);
	KR_OK(mach_port_deallocate(mach_task_self(), fp));
	EXPECT_TRUE(!writers_gone(p[0], 100));
	mach_port_t got = rcv_port(q, 1);
	EXPECT_EQ(ptype(got), MACH_PORT_TYPE_SEND);
	EXPECT_TRUE(!writers_gone(p[0], 100));
	/* Extra user references are one right. */
	KR_OK(mach_port_mod_refs(mach_task_self(), got, MACH_PORT_RIGHT_SEND, 2));
	KR_OK(mach_port_mod_refs(mach_task_self(), got, MACH_PORT_RIGHT_SEND, -2));
	EXPECT_TRUE(!writers_gone(p[0], 0));
	/* Queued again, then the queue's port destroyed. */
	send_port(q, got, MACH_MSG_TYPE_MOVE_SEND, 2);
	EXPECT_TRUE(!writers_gone(p[0], 100));
	KR_OK(mach_port_destroy(mach_task_self(), q));
	EXPECT_TRUE(writers_gone(p[0], 10000));
}

/* makefd gives a new descriptor each time and the right stays; the
 * descriptors and the fileport hold the same open file. */
TEST(makefd_twice_same_open_file)
{
	int p[2];
	fileport_t fp;

	EXPECT_EQ(pipe(p), 0);
	EXPECT_EQ(fileport_makeport(p[0], &fp), 0);
	int a = fileport_makefd(fp), b = fileport_makefd(fp);
	EXPECT_TRUE(a >= 0 && b >= 0 && a != b && a != p[0] && b != p[0]);
	EXPECT_EQ(fcntl(a, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	EXPECT_EQ(ptype(fp), MACH_PORT_TYPE_SEND);
	/* The status flags are the open file's: set through one, seen
	 * through the others. */
	EXPECT_EQ(fcntl(a, F_SETFL, O_NONBLOCK), 0);
	EXPECT_TRUE(fcntl(p[0], F_GETFL) & O_NONBLOCK);
	EXPECT_TRUE(fcntl(b, F_GETFL) & O_NONBLOCK);
	EXPECT_EQ(write(p[1], "x", 1), 1);
	char c;
	EXPECT_EQ(read(b, &c, 1), 1);
	EXPECT_EQ(c, 'x');
}

/* XNU's errnos: EBADF for a descriptor not open, EINVAL for a file that
 * may not cross, EFAULT (and no name left) for an unwritable result. */
TEST(makeport_refusals)
{
	fileport_t fp = FILEPORT_NULL;
	mach_port_t r = new_send_receive();
	int sv[2], fd;

	expect_errno(fileport_makeport(-1, &fp), EBADF);
	expect_errno(fileport_makeport(9999, &fp), EBADF);
	/* /dev/machipc itself. */
	expect_errno(fileport_makeport(machipc_device_fd(), &fp), EINVAL);
	/* A port descriptor. */
	fd = machipc_port_fd(r, 0);
	EXPECT_TRUE(fd >= 0);
	expect_errno(fileport_makeport(fd, &fp), EINVAL);
	close(fd);
	/* AF_UNIX sockets, of every type. */
	EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	expect_errno(fileport_makeport(sv[0], &fp), EINVAL);
	close(sv[0]);
	close(sv[1]);
	EXPECT_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	expect_errno(fileport_makeport(sv[1], &fp), EINVAL);
	/* io_uring. */
	struct io_uring_params up;
	memset(&up, 0, sizeof(up));
	fd = (int)syscall(__NR_io_uring_setup, 4, &up);
	if (fd >= 0) {
		expect_errno(fileport_makeport(fd, &fp), EINVAL);
		close(fd);
	}
	EXPECT_EQ(fp, FILEPORT_NULL);
	/* Other sockets cross. */
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	EXPECT_TRUE(fd >= 0);
	EXPECT_EQ(fileport_makeport(fd, &fp), 0);
	EXPECT_TRUE(MACH_PORT_VALID(fp));
	/* A right descriptor crosses, unless its right is a fileport's. */
	int rfd, ffd;
	fileport_t fp2 = FILEPORT_NULL;
	KR_OK(machipc_port_to_fd(r, &rfd));
	EXPECT_EQ(fileport_makeport(rfd, &fp2), 0);
	KR_OK(machipc_port_to_fd(fp, &ffd));
	expect_errno(fileport_makeport(ffd, &fp2), EINVAL);
	/* EFAULT: the name made is not left in the space. */
	mach_port_name_array_t names;
	mach_port_type_array_t types;
	mach_msg_type_number_t n0, n1, tn;
	KR_OK(mach_port_names(mach_task_self(), &names, &n0, &types, &tn));
	expect_errno(fileport_makeport(rfd, (fileport_t *)8), EFAULT);
	KR_OK(mach_port_names(mach_task_self(), &names, &n1, &types, &tn));
	EXPECT_EQ(n1, n0);
}

/* What makefd answers for what is not a send right to a fileport: EINVAL,
 * as XNU's ipc_typed_port_copyin_send failing. */
TEST(makefd_refusals)
{
	mach_port_t r = new_send_receive(), rcv_only = new_receive(), dead = new_send_receive(), set;

	expect_errno(fileport_makefd(MACH_PORT_NULL), EINVAL);
	expect_errno(fileport_makefd(MACH_PORT_DEAD), EINVAL);
	expect_errno(fileport_makefd(0x12345603), EINVAL);
	expect_errno(fileport_makefd(r), EINVAL);
	expect_errno(fileport_makefd(rcv_only), EINVAL);
	expect_errno(fileport_makefd(mach_task_self()), EINVAL);
	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_PORT_SET, &set));
	expect_errno(fileport_makefd(set), EINVAL);
	KR_OK(mach_port_mod_refs(mach_task_self(), dead, MACH_PORT_RIGHT_RECEIVE, -1));
	EXPECT_EQ(ptype(dead), MACH_PORT_TYPE_DEAD_NAME);
	expect_errno(fileport_makefd(dead), EINVAL);
}

/* A message to a fileport is served by the kernel, which knows no
 * routine of it: MIG_BAD_ID. */
TEST(message_to_fileport_is_bad_id)
{
	int p[2];
	fileport_t fp;
	mach_port_t reply = new_receive();
	struct {
		mach_msg_header_t h;
		NDR_record_t ndr;
		kern_return_t ret;
		mach_msg_max_trailer_t t;
	} m;

	EXPECT_EQ(pipe(p), 0);
	EXPECT_EQ(fileport_makeport(p[0], &fp), 0);
	memset(&m, 0, sizeof(m));
	m.h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
	m.h.msgh_size = sizeof(mach_msg_header_t);
	m.h.msgh_remote_port = fp;
	m.h.msgh_local_port = reply;
	m.h.msgh_id = 3204;
	KR_OK(mach_msg(&m.h, MACH_SEND_MSG | MACH_RCV_MSG | MACH_RCV_TIMEOUT, m.h.msgh_size, sizeof(m), reply,
		       10000, MACH_PORT_NULL));
	EXPECT_EQ(m.h.msgh_id, 3304);
	EXPECT_EQ(m.ret, MIG_BAD_ID);
}

/* Sends descriptor `fd` over the UNIX socket `s`. */
static void send_fd(int s, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	char byte = 'r';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

	memset(cbuf, 0, sizeof(cbuf));
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	EXPECT_EQ(sendmsg(s, &mh, 0), 1);
}

static int recv_fd(int s)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	int fd = -1;

	if (recvmsg(s, &mh, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	c = CMSG_FIRSTHDR(&mh);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

/* A send right crosses a UNIX socket to a process that never had it and
 * works there: the original receiver gets its message. */
TEST(send_right_over_unix_socket)
{
	mach_port_t r = new_send_receive();
	int sv[2], fd;
	pid_t pid;
	rbuf_t b;

	EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = fork();
	EXPECT_TRUE(pid >= 0);
	if (pid == 0) {
		mach_port_t name = MACH_PORT_NULL;

		close(sv[0]);
		int got = recv_fd(sv[1]);
		EXPECT_TRUE(got >= 0);
		KR_OK(machipc_fd_to_port(got, &name));
		EXPECT_TRUE(MACH_PORT_VALID(name));
		EXPECT_EQ(ptype(name), MACH_PORT_TYPE_SEND);
		close(got);
		send_simple(name, MACH_MSG_TYPE_COPY_SEND, 777);
		_exit(0);
	}
	close(sv[1]);
	KR_OK(machipc_port_to_fd(r, &fd));
	EXPECT_EQ(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	send_fd(sv[0], fd);
	close(fd);
	KR_OK(rcv(r, &b, 10000));
	EXPECT_EQ(b.h.msgh_id, 777);
	wait_child_ok(pid);
}

/* No-senders fires when the last descriptor owning the last send right
 * closes, not before. */
TEST(no_senders_at_last_close)
{
	mach_port_t r = new_send_receive(), n = new_receive(), prev;
	mach_port_urefs_t refs;
	rbuf_t b;
	int fd, fd2;

	KR_OK(mach_port_request_notification(mach_task_self(), r, MACH_NOTIFY_NO_SENDERS, 0, n,
					     MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev));
	KR_OK(machipc_port_to_fd(r, &fd));
	/* The space's own send right stays. */
	KR_OK(mach_port_get_refs(mach_task_self(), r, MACH_PORT_RIGHT_SEND, &refs));
	EXPECT_EQ(refs, 1);
	KR_OK(mach_port_mod_refs(mach_task_self(), r, MACH_PORT_RIGHT_SEND, -1));
	KR(rcv(n, &b, 100), MACH_RCV_TIMED_OUT);
	fd2 = dup(fd);
	EXPECT_TRUE(fd2 >= 0);
	close(fd);
	KR(rcv(n, &b, 100), MACH_RCV_TIMED_OUT);
	close(fd2);
	KR_OK(rcv(n, &b, 10000));
	EXPECT_EQ(b.h.msgh_id, MACH_NOTIFY_NO_SENDERS);
}

/* A send right named from a descriptor is a new send right: the entry's
 * references grow, the port's send rights count the descriptor's too. */
TEST(fd_to_port_send_copies)
{
	mach_port_t r = new_send_receive(), name = 0;
	mach_port_urefs_t refs;
	mach_port_rights_t srights;
	int fd;

	KR_OK(machipc_port_to_fd(r, &fd));
	KR_OK(mach_port_get_srights(mach_task_self(), r, &srights));
	EXPECT_EQ(srights, 2);
	KR_OK(machipc_fd_to_port(fd, &name));
	EXPECT_EQ(name, r);
	KR_OK(machipc_fd_to_port(fd, &name));
	EXPECT_EQ(name, r);
	KR_OK(mach_port_get_refs(mach_task_self(), r, MACH_PORT_RIGHT_SEND, &refs));
	EXPECT_EQ(refs, 3);
	close(fd);
	KR_OK(mach_port_get_srights(mach_task_self(), r, &srights));
	EXPECT_EQ(srights, 1);
}

/* A descriptor for a send right whose port died names a dead port. */
TEST(fd_to_port_of_dead_port)
{
	mach_port_t r = new_send_receive(), name = 0;
	int fd;

	KR_OK(machipc_port_to_fd(r, &fd));
	KR_OK(mach_port_mod_refs(mach_task_self(), r, MACH_PORT_RIGHT_RECEIVE, -1));
	KR_OK(machipc_fd_to_port(fd, &name));
	EXPECT_EQ(name, MACH_PORT_DEAD);
}

/* A send-once right moves into the descriptor and out again once;
 * unused, it dies with a send-once notification at the last close. */
TEST(send_once_descriptor)
{
	mach_port_t r = new_receive(), so, name = 0;
	mach_msg_type_name_t t;
	rbuf_t b;
	int fd;

	KR_OK(mach_port_extract_right(mach_task_self(), r, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so, &t));
	KR_OK(machipc_port_to_fd(so, &fd));
	KR(mach_port_type(mach_task_self(), so, &(mach_port_type_t){ 0 }), KERN_INVALID_NAME);
	KR_OK(machipc_fd_to_port(fd, &name));
	EXPECT_EQ(ptype(name), MACH_PORT_TYPE_SEND_ONCE);
	KR(machipc_fd_to_port(fd, &(mach_port_t){ 0 }), KERN_INVALID_RIGHT);
	send_simple(name, MACH_MSG_TYPE_MOVE_SEND_ONCE, 99);
	KR_OK(rcv(r, &b, 10000));
	EXPECT_EQ(b.h.msgh_id, 99);
	close(fd);
	KR(rcv(r, &b, 100), MACH_RCV_TIMED_OUT);

	/* Closed unused: the send-once notification. */
	KR_OK(mach_port_extract_right(mach_task_self(), r, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so, &t));
	KR_OK(machipc_port_to_fd(so, &fd));
	KR(rcv(r, &b, 100), MACH_RCV_TIMED_OUT);
	close(fd);
	KR_OK(rcv(r, &b, 10000));
	EXPECT_EQ(b.h.msgh_id, MACH_NOTIFY_SEND_ONCE);
}

/* mach_port_extract_right's answers for what is not a send or send-once
 * right; descriptors that own no right. */
TEST(port_to_fd_and_back_errors)
{
	mach_port_t rcv_only = new_receive(), dead = new_send_receive(), set, name;
	int fd = -1, p[2];

	KR(machipc_port_to_fd(MACH_PORT_NULL, &fd), KERN_INVALID_RIGHT);
	KR(machipc_port_to_fd(MACH_PORT_DEAD, &fd), KERN_INVALID_RIGHT);
	KR(machipc_port_to_fd(0x12345603, &fd), KERN_INVALID_NAME);
	KR(machipc_port_to_fd(rcv_only, &fd), KERN_INVALID_RIGHT);
	KR_OK(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_PORT_SET, &set));
	KR(machipc_port_to_fd(set, &fd), KERN_INVALID_RIGHT);
	KR_OK(mach_port_mod_refs(mach_task_self(), dead, MACH_PORT_RIGHT_RECEIVE, -1));
	KR(machipc_port_to_fd(dead, &fd), KERN_INVALID_RIGHT);
	EXPECT_EQ(ptype(dead), MACH_PORT_TYPE_DEAD_NAME);
	EXPECT_EQ(fd, -1);
	EXPECT_EQ(pipe(p), 0);
	KR(machipc_fd_to_port(p[0], &name), KERN_INVALID_ARGUMENT);
	KR(machipc_fd_to_port(-1, &name), KERN_INVALID_ARGUMENT);
	KR(machipc_fd_to_port(9999, &name), KERN_INVALID_ARGUMENT);
	KR(machipc_fd_to_port(machipc_device_fd(), &name), KERN_INVALID_ARGUMENT);
}

/* A fileport's send right as a descriptor: the file lives while the
 * descriptor does, and goes with it. */
TEST(fileport_right_as_descriptor)
{
	int p[2], fd;
	fileport_t fp, back = 0;

	EXPECT_EQ(pipe(p), 0);
	EXPECT_EQ(fileport_makeport(p[1], &fp), 0);
	close(p[1]);
	KR_OK(machipc_port_to_fd(fp, &fd));
	KR_OK(mach_port_deallocate(mach_task_self(), fp));
	EXPECT_TRUE(!writers_gone(p[0], 100));
	KR_OK(machipc_fd_to_port(fd, &back));
	int w = fileport_makefd(back);
	EXPECT_TRUE(w >= 0);
	EXPECT_EQ(write(w, "z", 1), 1);
	close(w);
	KR_OK(mach_port_deallocate(mach_task_self(), back));
	EXPECT_TRUE(!writers_gone(p[0], 100));
	close(fd);
	EXPECT_TRUE(writers_gone(p[0], 10000));
}

/* A process that exits holding fileports and right descriptors leaves
 * nothing behind: its child's pipe end closes. */
TEST(exit_releases_everything)
{
	int p[2];
	pid_t pid;

	EXPECT_EQ(pipe(p), 0);
	pid = fork();
	EXPECT_TRUE(pid >= 0);
	if (pid == 0) {
		fileport_t fp;
		mach_port_t q = new_send_receive();
		int fd;

		close(p[0]);
		EXPECT_EQ(fileport_makeport(p[1], &fp), 0);
		close(p[1]);
		send_port(q, fp, MACH_MSG_TYPE_COPY_SEND, 1);
		KR_OK(machipc_port_to_fd(fp, &fd));
		KR_OK(machipc_port_to_fd(q, &fd));
		_exit(0);
	}
	close(p[1]);
	wait_child_ok(pid);
	EXPECT_TRUE(writers_gone(p[0], 10000));
}

/* A right descriptor is inherited across fork: the child names the right
 * in its own space and sends through it; no-senders waits for both
 * processes' copies to close. */
TEST(right_descriptor_inherited_across_fork)
{
	mach_port_t r = new_send_receive(), n = new_receive(), prev;
	rbuf_t b;
	int fd;
	pid_t pid;

	KR_OK(machipc_port_to_fd(r, &fd));
	KR_OK(mach_port_mod_refs(mach_task_self(), r, MACH_PORT_RIGHT_SEND, -1));
	KR_OK(mach_port_request_notification(mach_task_self(), r, MACH_NOTIFY_NO_SENDERS, 0, n,
					     MACH_MSG_TYPE_MAKE_SEND_ONCE, &prev));
	pid = fork();
	EXPECT_TRUE(pid >= 0);
	if (pid == 0) {
		mach_port_t name = MACH_PORT_NULL;

		KR_OK(machipc_fd_to_port(fd, &name));
		send_simple(name, MACH_MSG_TYPE_MOVE_SEND, 555);
		_exit(0);
	}
	KR_OK(rcv(r, &b, 10000));
	EXPECT_EQ(b.h.msgh_id, 555);
	wait_child_ok(pid);
	KR(rcv(n, &b, 100), MACH_RCV_TIMED_OUT);
	close(fd);
	KR_OK(rcv(n, &b, 10000));
	EXPECT_EQ(b.h.msgh_id, MACH_NOTIFY_NO_SENDERS);
}

/* The program image an exec'd child runs: with MACHIPC_TEST_RIGHT_FD set,
 * it names the right that inherited descriptor owns, sends message 666
 * through it and exits, before the harness starts. */
__attribute__((constructor)) static void exec_child(void)
{
	const char *s = getenv("MACHIPC_TEST_RIGHT_FD");
	mach_port_t name = MACH_PORT_NULL;

	if (!s)
		return;
	if (machipc_fd_to_port(atoi(s), &name) != KERN_SUCCESS || !MACH_PORT_VALID(name))
		_exit(2);
	mach_msg_header_t h = {
		.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND, 0),
		.msgh_size = sizeof(h),
		.msgh_remote_port = name,
		.msgh_id = 666,
	};
	_exit(mach_msg(&h, MACH_SEND_MSG, sizeof(h), 0, MACH_PORT_NULL, 0, MACH_PORT_NULL) ? 3 : 0);
}

/* A right descriptor whose close-on-exec flag is cleared survives exec:
 * the new program (a fresh space) names the right and sends through it. */
TEST(right_descriptor_inherited_across_exec)
{
	mach_port_t r = new_send_receive();
	rbuf_t b;
	int fd;
	pid_t pid;

	KR_OK(machipc_port_to_fd(r, &fd));
	pid = fork();
	EXPECT_TRUE(pid >= 0);
	if (pid == 0) {
		char num[16];

		snprintf(num, sizeof(num), "%d", fd);
		if (fcntl(fd, F_SETFD, 0) != 0 || setenv("MACHIPC_TEST_RIGHT_FD", num, 1) != 0)
			_exit(4);
		execl("/proc/self/exe", "fileport-exec-child", (char *)NULL);
		_exit(5);
	}
	KR_OK(rcv(r, &b, 10000));
	EXPECT_EQ(b.h.msgh_id, 666);
	wait_child_ok(pid);
}

/* ---- Answers that cannot be written back ---------------------------- */

/* How many descriptors the process has open. */
static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		FAILF("opendir /proc/self/fd: %s", strerror(errno));
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* Runs ioctl `cmd` with a copy of `arg` on a read-only page, where the
 * kernel can read it but cannot write the answer back: the call must fail
 * with EFAULT and leave no new descriptor behind. */
static void expect_efault_no_fd(unsigned long cmd, const void *arg, size_t len)
{
	int dev = machipc_device_fd(), before;
	void *ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	EXPECT_TRUE(dev >= 0);
	EXPECT_TRUE(ro != MAP_FAILED);
	memcpy(ro, arg, len);
	EXPECT_EQ(mprotect(ro, 4096, PROT_READ), 0);
	before = open_fds();
	expect_errno(ioctl(dev, cmd, ro), EFAULT);
	EXPECT_EQ(open_fds(), before);
	EXPECT_EQ(munmap(ro, 4096), 0);
}

/* fileport_makefd: no descriptor, and the fileport's send right stays:
 * the file goes with it alone. */
TEST(makefd_readonly_arg_installs_nothing)
{
	struct machipc_port_call c = { 0 };
	mach_port_urefs_t refs;
	fileport_t fp;
	int p[2];

	EXPECT_EQ(pipe(p), 0);
	EXPECT_EQ(fileport_makeport(p[1], &fp), 0);
	close(p[1]);
	c.name = fp;
	expect_efault_no_fd(MACHIPC_IOC_FILEPORT_MAKEFD, &c, sizeof(c));
	KR_OK(mach_port_get_refs(mach_task_self(), fp, MACH_PORT_RIGHT_SEND, &refs));
	EXPECT_EQ(refs, 1);
	EXPECT_TRUE(!writers_gone(p[0], 100));
	KR_OK(mach_port_deallocate(mach_task_self(), fp));
	EXPECT_TRUE(writers_gone(p[0], 10000));
}

/* fileport_makeport: the name it wrote to `data` is taken back when the
 * argument itself cannot be written, and the file is not held. */
TEST(makeport_readonly_arg_leaves_no_name)
{
	struct machipc_port_call c = { 0 };
	fileport_t fp = FILEPORT_NULL;
	int p[2];

	EXPECT_EQ(pipe(p), 0);
	c.delta = p[1];
	c.data = (uint64_t)(uintptr_t)&fp;
	expect_efault_no_fd(MACHIPC_IOC_FILEPORT_MAKEPORT, &c, sizeof(c));
	if (fp != FILEPORT_NULL)
		KR(mach_port_type(mach_task_self(), fp, &(mach_port_type_t){ 0 }), KERN_INVALID_NAME);
	close(p[1]);
	EXPECT_TRUE(writers_gone(p[0], 10000));
}

/* machipc_port_to_fd of a send right: no descriptor holds a copy of it,
 * and the caller's references are as they were; an error answer that
 * cannot be written is EFAULT too. */
TEST(port_to_fd_readonly_arg_keeps_send_right)
{
	struct machipc_port_call c = { 0 };
	mach_port_t r = new_send_receive();
	mach_port_rights_t srights;
	mach_port_urefs_t refs;

	c.name = r;
	expect_efault_no_fd(MACHIPC_IOC_PORT_TO_FD, &c, sizeof(c));
	KR_OK(mach_port_get_refs(mach_task_self(), r, MACH_PORT_RIGHT_SEND, &refs));
	EXPECT_EQ(refs, 1);
	KR_OK(mach_port_get_srights(mach_task_self(), r, &srights));
	EXPECT_EQ(srights, 1);
	c.name = 0x12345603;
	expect_efault_no_fd(MACHIPC_IOC_PORT_TO_FD, &c, sizeof(c));
}

/* machipc_port_to_fd of a send-once right: the right stays under its name,
 * unused (no send-once notification), and still sends. */
TEST(port_to_fd_readonly_arg_keeps_send_once)
{
	struct machipc_port_call c = { 0 };
	mach_port_t r = new_receive(), so;
	mach_msg_type_name_t t;
	rbuf_t b;

	KR_OK(mach_port_extract_right(mach_task_self(), r, MACH_MSG_TYPE_MAKE_SEND_ONCE, &so, &t));
	c.name = so;
	expect_efault_no_fd(MACHIPC_IOC_PORT_TO_FD, &c, sizeof(c));
	EXPECT_EQ(ptype(so), MACH_PORT_TYPE_SEND_ONCE);
	KR(rcv(r, &b, 100), MACH_RCV_TIMED_OUT);
	send_simple(so, MACH_MSG_TYPE_MOVE_SEND_ONCE, 77);
	KR_OK(rcv(r, &b, 10000));
	EXPECT_EQ(b.h.msgh_id, 77);
}

/* MACHIPC_IOC_PORT_FD: no port descriptor. */
TEST(port_fd_readonly_arg_installs_nothing)
{
	struct machipc_port_fd f = { 0 };

	f.name = new_receive();
	expect_efault_no_fd(MACHIPC_IOC_PORT_FD, &f, sizeof(f));
}
