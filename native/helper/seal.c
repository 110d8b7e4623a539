/* Re-executing from a sealed memfd copy, so the container can never reach a writable runtime binary
 * through /proc/<pid>/exe (CVE-2019-5736). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helper.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

static int is_sealed(int fd)
{
	int seals = fcntl(fd, F_GET_SEALS);

	/* A regular file answers EINVAL: it cannot carry seals. */
	return seals >= 0 && (seals & F_SEAL_WRITE);
}

static int sealed_copy(struct ctx *ctx, int src, struct failure *f)
{
	struct stat st;
	off_t off = 0;
	int fd;

	if (fstat(src, &st) < 0)
		return set_failure(f, errno, "fstat /proc/self/exe");
	/* Since Linux 6.3 a memfd without MFD_EXEC may be refused for execution (vm.memfd_noexec);
	 * older kernels reject the unknown flag with EINVAL. */
	fd = memfd_create("tsrunc-init", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (fd < 0 && errno == EINVAL) {
		report_fallback(ctx, "memfd-without-exec", EINVAL);
		fd = memfd_create("tsrunc-init", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	}
	if (fd < 0)
		return set_failure(f, errno, "memfd_create(\"tsrunc-init\")");
	while (off < st.st_size) {
		ssize_t n = sendfile(fd, src, &off, (size_t)(st.st_size - off));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			set_failure(f, n < 0 ? errno : EIO, "copy /proc/self/exe into the memfd");
			close(fd);
			return -1;
		}
	}
	if (fcntl(fd, F_ADD_SEALS, SEALS) < 0) {
		set_failure(f, errno, "seal the memfd");
		close(fd);
		return -1;
	}
	return fd;
}

int ensure_sealed(struct ctx *ctx, char **argv, char **envp, struct failure *f)
{
	int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC), copy;

	if (self < 0)
		return set_failure(f, errno, "open /proc/self/exe");
	if (is_sealed(self)) {
		close(self);
		return 0;
	}
	copy = sealed_copy(ctx, self, f);
	close(self);
	if (copy < 0)
		return -1;
	fexecve(copy, argv, envp);
	return set_failure(f, errno, "fexecve the sealed copy");
}
