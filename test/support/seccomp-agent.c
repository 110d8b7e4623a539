/* A seccomp notification agent for the tests: listens on argv[1]; for each connection appends the
 * state JSON it got to argv[2] (one line) and keeps the notification fd that came with it. A notified
 * mkdir or mkdirat "succeeds" without making anything; chmod and fchmodat fail with ENOMEDIUM; any
 * other call goes on as if not filtered. Runs until killed. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_FDS 64

static void answer(int fd)
{
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;

	memset(&req, 0, sizeof(req));
	if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
		return;
	memset(&resp, 0, sizeof(resp));
	resp.id = req.id;
	if (req.data.nr == SYS_mkdir || req.data.nr == SYS_mkdirat) {
		resp.val = 0;
	} else if (req.data.nr == SYS_chmod || req.data.nr == SYS_fchmodat) {
		resp.error = -ENOMEDIUM;
	} else {
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	}
	ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

static int receive(int lfd, const char *log)
{
	char buf[8192], control[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { buf, sizeof(buf) - 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof(control) };
	int conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC), fd = -1;
	ssize_t n;
	FILE *f;

	if (conn < 0)
		return -1;
	n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
	close(conn);
	if (n <= 0)
		return -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(&fd, CMSG_DATA(c), sizeof(int));
	buf[n] = '\0';
	f = fopen(log, "a");
	if (f) {
		fprintf(f, "%s fd=%s\n", buf, fd >= 0 ? "yes" : "no");
		fclose(f);
	}
	return fd;
}

int main(int argc, char **argv)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct pollfd p[MAX_FDS];
	int n = 1;

	if (argc != 3 || strlen(argv[1]) >= sizeof(addr.sun_path))
		return 2;
	strcpy(addr.sun_path, argv[1]);
	p[0].fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	p[0].events = POLLIN;
	if (p[0].fd < 0 || bind(p[0].fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(p[0].fd, 16) < 0)
		return 1;
	for (;;) {
		if (poll(p, (nfds_t)n, -1) < 0)
			continue;
		for (int i = n - 1; i >= 1; i--) {
			if (p[i].revents & POLLIN)
				answer(p[i].fd);
			else if (p[i].revents & (POLLHUP | POLLERR | POLLNVAL)) {
				close(p[i].fd);
				p[i] = p[--n];
			}
		}
		if (p[0].revents & POLLIN) {
			int fd = receive(p[0].fd, argv[2]);
			if (fd >= 0 && n < MAX_FDS) {
				p[n].fd = fd;
				p[n].events = POLLIN;
				n++;
			}
		}
	}
}
