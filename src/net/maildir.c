/*
 * maildir.c — see maildir.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/error.h"
#include "net/maildir.h"

/* mkdir that accepts an existing directory. */
static int
mkdir_ok(const char *path, char *err, size_t errsize)
{
	struct stat st;

	if (mkdir(path, 0700) == 0)
		return 0;
	if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	snprintf(err, errsize, "cannot create directory %s: %s", path,
	         errno == EEXIST ? "a file is in the way" : strerror(errno));
	return MC_EIO;
}

/* Make the Maildir's folders. */
int
maildir_create(const char *dir, char *err, size_t errsize)
{
	static const char *const sub[] = {"tmp", "new", "cur"};
	char path[PATH_MAX];
	int rc;

	if ((rc = mkdir_ok(dir, err, errsize)) != 0)
		return rc;
	for (size_t i = 0; i < 3; i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		                     sub[i]) >= sizeof(path)) {
			snprintf(err, errsize, "Maildir path too long: %s",
			         dir);
			return MC_EIO;
		}
		if ((rc = mkdir_ok(path, err, errsize)) != 0)
			return rc;
	}
	return 0;
}

/* Write all of iov to fd. */
static int
write_all(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t w = writev(fd, iov, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/* Deliver one message; see maildir.h. */
int
maildir_deliver(const char *dir, const char *name,
                const struct smtp_server_msg *msg, const char *received,
                char *err, size_t errsize)
{
	char tmp[PATH_MAX], fin[PATH_MAX];
	struct iovec iov[2];
	struct buf head;
	int fd, rc = MC_EIO;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/tmp/%s", dir, name) >=
	        sizeof(tmp) ||
	    (size_t)snprintf(fin, sizeof(fin), "%s/new/%s", dir, name) >=
	        sizeof(fin)) {
		snprintf(err, errsize, "Maildir path too long: %s", dir);
		return MC_EIO;
	}
	buf_init(&head);
	buf_printf(&head, "Return-Path: <%s>\r\n", msg->from);
	for (size_t i = 0; i < msg->nrcpts; i++)
		buf_printf(&head, "X-Mailcast-Rcpt: <%s>\r\n", msg->rcpts[i]);
	buf_puts(&head, received);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errsize, "cannot create %s: %s", tmp,
		         strerror(errno));
		goto done;
	}
	iov[0].iov_base = (void *)buf_data(&head);
	iov[0].iov_len = buf_len(&head);
	iov[1].iov_base = (void *)(msg->body ? msg->body : (const void *)"");
	iov[1].iov_len = msg->body ? msg->size : 0;
	if (write_all(fd, iov, 2) != 0) {
		snprintf(err, errsize, "cannot write %s: %s", tmp,
		         strerror(errno));
		close(fd);
		unlink(tmp);
		goto done;
	}
	if (close(fd) != 0 || rename(tmp, fin) != 0) {
		snprintf(err, errsize, "cannot move %s into new/: %s", tmp,
		         strerror(errno));
		unlink(tmp);
		goto done;
	}
	rc = 0;
done:
	buf_fini(&head);
	return rc;
}
