// tsrunc_native: the few system calls Node does not expose (pidfds, waitpid of any child, flock,
// mkfifo, the child-subreaper flag, pidfd_getfd and a send of one fd to a unix socket, a plain posix_spawn of the helper with a socketpair, and the bpf(2)
// commands of a cgroup device program), and libseccomp's name tables, so that seccomp rules reach the
// helper as numbers.
#include <napi.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include <fcntl.h>

#include <linux/bpf.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <seccomp.h>

namespace {

// An Error like Node's system errors: message "<syscall>: <strerror>", .code "ESRCH", .errno 3.
Napi::Error ErrnoError(Napi::Env env, const char* syscall, int err) {
  const char* name = strerrorname_np(err);
  Napi::Error error = Napi::Error::New(env, std::string(syscall) + ": " + std::strerror(err));
  error.Set("code", Napi::String::New(env, name ? name : "UNKNOWN"));
  error.Set("errno", Napi::Number::New(env, err));
  error.Set("syscall", Napi::String::New(env, syscall));
  return error;
}

// Checks that info[i] is an integer; throws a TypeError otherwise.
bool IntArg(const Napi::CallbackInfo& info, size_t i, const char* what, int64_t* out) {
  if (info.Length() <= i || !info[i].IsNumber()) {
    Napi::TypeError::New(info.Env(), std::string(what) + " must be a number").ThrowAsJavaScriptException();
    return false;
  }
  *out = info[i].As<Napi::Number>().Int64Value();
  return true;
}

// Checks that info[i] is an array; throws a TypeError otherwise.
bool ArrayArg(const Napi::CallbackInfo& info, size_t i, const char* what, Napi::Array* out) {
  if (info.Length() <= i || !info[i].IsArray()) {
    Napi::TypeError::New(info.Env(), std::string(what) + " must be an array").ThrowAsJavaScriptException();
    return false;
  }
  *out = info[i].As<Napi::Array>();
  return true;
}

Napi::Value PidfdOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t pid;
  if (!IntArg(info, 0, "pid", &pid)) return env.Undefined();
  long fd = syscall(SYS_pidfd_open, static_cast<pid_t>(pid), 0);  // pidfds are always close-on-exec
  if (fd < 0) {
    ErrnoError(env, "pidfd_open", errno).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, static_cast<double>(fd));
}

Napi::Value PidfdSendSignal(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t pidfd, sig;
  if (!IntArg(info, 0, "pidfd", &pidfd) || !IntArg(info, 1, "signal", &sig)) return env.Undefined();
  if (syscall(SYS_pidfd_send_signal, static_cast<int>(pidfd), static_cast<int>(sig), nullptr, 0) < 0)
    ErrnoError(env, "pidfd_send_signal", errno).ThrowAsJavaScriptException();
  return env.Undefined();
}

int64_t NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// poll() for POLLIN on any fd: true once it is readable (for a pidfd: the process has exited), false
// when timeoutMs passed first. A negative timeout waits forever.
Napi::Value WaitReadable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t pidfd, timeout;
  if (!IntArg(info, 0, "pidfd", &pidfd) || !IntArg(info, 1, "timeoutMs", &timeout)) return env.Undefined();
  const int64_t deadline = NowMs() + timeout;
  pollfd pfd = {static_cast<int>(pidfd), POLLIN, 0};
  for (;;) {
    int left = timeout < 0 ? -1 : static_cast<int>(std::max<int64_t>(0, std::min<int64_t>(deadline - NowMs(), INT32_MAX)));
    int n = poll(&pfd, 1, left);
    if (n >= 0) return Napi::Boolean::New(env, n > 0);
    if (errno != EINTR) {
      ErrnoError(env, "poll", errno).ThrowAsJavaScriptException();
      return env.Undefined();
    }
  }
}

// waitpid() runs on the thread pool so the event loop keeps running while the child lives.
// Status of a finished child as { exitCode, signal }.
Napi::Object WaitResult(Napi::Env env, int status) {
  Napi::Object result = Napi::Object::New(env);
  result.Set("exitCode", WIFEXITED(status) ? Napi::Number::New(env, WEXITSTATUS(status)) : env.Null());
  result.Set("signal", WIFSIGNALED(status) ? Napi::Number::New(env, WTERMSIG(status)) : env.Null());
  return result;
}

class WaitWorker : public Napi::AsyncWorker {
 public:
  WaitWorker(Napi::Env env, pid_t pid)
      : Napi::AsyncWorker(env, "tsrunc:waitpid"), pid_(pid), deferred_(Napi::Promise::Deferred::New(env)) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    pid_t r;
    do r = waitpid(pid_, &status_, __WALL);
    while (r < 0 && errno == EINTR);
    err_ = r < 0 ? errno : 0;
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (err_) {
      deferred_.Reject(ErrnoError(env, "waitpid", err_).Value());
      return;
    }
    deferred_.Resolve(WaitResult(env, status_));
  }

 private:
  pid_t pid_;
  int status_ = 0;
  int err_ = 0;
  Napi::Promise::Deferred deferred_;
};

Napi::Value Waitpid(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t pid;
  if (!IntArg(info, 0, "pid", &pid)) return env.Undefined();
  auto* worker = new WaitWorker(env, static_cast<pid_t>(pid));
  Napi::Promise promise = worker->Promise();
  worker->Queue();  // the worker deletes itself after OnOK
  return promise;
}

Napi::Value Flock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t fd;
  if (!IntArg(info, 0, "fd", &fd)) return env.Undefined();
  if (info.Length() < 2 || !info[1].IsBoolean()) {
    Napi::TypeError::New(env, "exclusive must be a boolean").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int op = info[1].As<Napi::Boolean>().Value() ? LOCK_EX : LOCK_SH;
  int r;
  do r = flock(static_cast<int>(fd), op);
  while (r < 0 && errno == EINTR);
  if (r < 0) ErrnoError(env, "flock", errno).ThrowAsJavaScriptException();
  return env.Undefined();
}

// mkfifo with exactly `mode` (the process umask does not apply), like runc's exec.fifo.
Napi::Value Mkfifo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t mode;
  if (info.Length() < 1 || !info[0].IsString()) {
    Napi::TypeError::New(env, "path must be a string").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (!IntArg(info, 1, "mode", &mode)) return env.Undefined();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  if (mkfifo(path.c_str(), static_cast<mode_t>(mode)) < 0) {
    ErrnoError(env, "mkfifo", errno).ThrowAsJavaScriptException();
  } else if (chmod(path.c_str(), static_cast<mode_t>(mode)) < 0) {
    ErrnoError(env, "chmod", errno).ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

// umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW): the topmost mount at path goes, with every mount below it.
Napi::Value DetachMount(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    Napi::TypeError::New(env, "path must be a string").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string path = info[0].As<Napi::String>().Utf8Value();
  if (umount2(path.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) < 0) ErrnoError(env, "umount2", errno).ThrowAsJavaScriptException();
  return env.Undefined();
}

// Orphaned descendants (container inits whose tsrunc exited) are reparented to this process.
Napi::Value SetChildSubreaper(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) ErrnoError(env, "prctl", errno).ThrowAsJavaScriptException();
  return env.Undefined();
}

// waitpidSync(pid): blocks this thread until the child exits. For short waits (the helper's first
// process exits as soon as the container init is released).
Napi::Value WaitpidSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t pid;
  if (!IntArg(info, 0, "pid", &pid)) return env.Undefined();
  int status = 0;
  pid_t r;
  do r = waitpid(static_cast<pid_t>(pid), &status, __WALL);
  while (r < 0 && errno == EINTR);
  if (r < 0) {
    ErrnoError(env, "waitpid", errno).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return WaitResult(env, status);
}

// spawnHelper(path, argv, syncFd): posix_spawn of path with fds 0..syncFd-1 inherited as they are
// and one end of a new socketpair at syncFd; every signal back to its default action and none
// blocked (Node ignores SIGPIPE, and a container must not inherit that). Returns { pid, fd } with
// fd our end of the socketpair (close-on-exec). Node's child_process would do the same at the cost
// of loading its stream machinery, a few ms of every create.
Napi::Value SpawnHelper(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsString() || !info[1].IsArray()) {
    Napi::TypeError::New(env, "spawnHelper(path, argv, syncFd)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int64_t syncFd;
  if (!IntArg(info, 2, "syncFd", &syncFd)) return env.Undefined();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  Napi::Array argArray = info[1].As<Napi::Array>();
  std::vector<std::string> args;
  for (uint32_t i = 0; i < argArray.Length(); i++) args.push_back(argArray.Get(i).ToString().Utf8Value());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
    ErrnoError(env, "socketpair", errno).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  // dup2 onto another number clears close-on-exec; when the numbers are equal, go through a spare.
  int child = sv[1];
  if (child == syncFd) {
    child = fcntl(sv[1], F_DUPFD_CLOEXEC, static_cast<int>(syncFd) + 1);
  }
  posix_spawn_file_actions_adddup2(&actions, child, static_cast<int>(syncFd));
  // Node marks every inherited fd close-on-exec at start (uv_disable_stdio_inheritance); a dup2 of
  // an fd onto itself clears that flag in the child (glibc >= 2.29), so stdio and --preserve-fds
  // reach the helper.
  // Never the socketpair's own ends (the init would hold the helper's channel open).
  for (int fd = 0; fd < syncFd; fd++) {
    if (fd == sv[0] || fd == sv[1] || fd == child) continue;
    if (fcntl(fd, F_GETFD) >= 0) posix_spawn_file_actions_adddup2(&actions, fd, fd);
  }
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  pid_t pid;
  int err = posix_spawn(&pid, path.c_str(), &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (child != sv[1]) close(child);
  close(sv[1]);
  if (err != 0) {
    close(sv[0]);
    ErrnoError(env, "posix_spawn", err).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("pid", Napi::Number::New(env, pid));
  result.Set("fd", Napi::Number::New(env, sv[0]));
  return result;
}

// listenUnix(path, backlog): socket(AF_UNIX, SOCK_STREAM), bind to path, listen (a console socket to
// receive a pty master on; the warm server's socket).
Napi::Value ListenUnix(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t backlog;
  if (info.Length() < 2 || !info[0].IsString()) {
    Napi::TypeError::New(env, "listenUnix(path, backlog)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (!IntArg(info, 1, "backlog", &backlog)) return env.Undefined();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    ErrnoError(env, "bind", ENAMETOOLONG).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    ErrnoError(env, "socket", errno).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) < 0 || listen(fd, static_cast<int>(backlog)) < 0) {
    int err = errno;
    close(fd);
    ErrnoError(env, "bind/listen", err).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, fd);
}

// pidfd_getfd: a copy of another process's fd (close-on-exec), as a ptrace-capable caller may take it.
Napi::Value PidfdGetFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t pidfd, target;
  if (!IntArg(info, 0, "pidfd", &pidfd) || !IntArg(info, 1, "targetFd", &target)) return env.Undefined();
  long fd = syscall(SYS_pidfd_getfd, static_cast<int>(pidfd), static_cast<int>(target), 0);
  if (fd < 0) {
    ErrnoError(env, "pidfd_getfd", errno).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, static_cast<double>(fd));
}

// Connects to an AF_UNIX stream socket (a leading '@' names an abstract one) and sends data with one
// fd in a single sendmsg, then closes the connection. SO_SNDTIMEO bounds both the connect (a listener
// whose backlog is full) and the send, so that a listener that never accepts cannot hold the caller.
Napi::Value SendFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t fd, timeoutMs;
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsString()) {
    Napi::TypeError::New(env, "path and data must be strings").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (!IntArg(info, 2, "fd", &fd) || !IntArg(info, 3, "timeoutMs", &timeoutMs)) return env.Undefined();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  std::string data = info[1].As<Napi::String>().Utf8Value();
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    ErrnoError(env, "connect", ENAMETOOLONG).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
  if (path[0] == '@') {
    addr.sun_path[0] = '\0';
    len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());
  }
  int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0) {
    ErrnoError(env, "socket", errno).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  timeval tv{static_cast<time_t>(timeoutMs / 1000), static_cast<suseconds_t>((timeoutMs % 1000) * 1000)};
  const char* failed = nullptr;
  if (setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0) failed = "setsockopt";
  int r = -1;
  if (!failed) {
    do r = connect(sock, reinterpret_cast<sockaddr*>(&addr), len); while (r < 0 && errno == EINTR);
    if (r < 0) failed = "connect";
  }
  if (!failed) {
    int one = static_cast<int>(fd);
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    iovec iov{const_cast<char*>(data.data()), data.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &one, sizeof(int));
    ssize_t n;
    do n = sendmsg(sock, &msg, MSG_NOSIGNAL); while (n < 0 && errno == EINTR);
    if (n < 0) failed = "sendmsg";
    else if (static_cast<size_t>(n) != data.size()) { failed = "sendmsg"; errno = EMSGSIZE; }
  }
  int err = errno;
  close(sock);
  if (failed) {
    // A timed-out connect or send reports EAGAIN; say what it means.
    ErrnoError(env, failed, err == EAGAIN || err == EINPROGRESS ? ETIMEDOUT : err).ThrowAsJavaScriptException();
  }
  return env.Undefined();
}


// One recvmsg of at most len bytes into buf (EINTR retried), appending the SCM_RIGHTS descriptors that
// came with them (close-on-exec) to fds; *flags: the message's msg_flags. The byte count, or -1 with errno.
ssize_t ReceiveWithFds(int conn, char* buf, size_t len, std::vector<int>* fds, int* flags) {
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 253)];
  iovec iov{buf, len};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t n;
  do n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC); while (n < 0 && errno == EINTR);
  if (n < 0) return -1;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < k; i++) {
      int got;
      std::memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      fds->push_back(got);
    }
  }
  *flags = msg.msg_flags;
  return n;
}

// Reads exactly len bytes of conn into out, collecting the descriptors that come with them into fds;
// false with errno set (EPIPE: the peer went away first; EBADMSG: descriptors lost to a short control
// buffer).
bool ReceiveExactly(int conn, char* out, size_t len, std::vector<int>* fds) {
  for (size_t have = 0; have < len;) {
    int flags;
    ssize_t n = ReceiveWithFds(conn, out + have, len - have, fds, &flags);
    if (n < 0) return false;
    if ((flags & MSG_CTRUNC) != 0) {
      errno = EBADMSG;
      return false;
    }
    if (n == 0) {
      errno = EPIPE;
      return false;
    }
    have += static_cast<size_t>(n);
  }
  return true;
}

// acceptRequest(listenFd, maxBytes): waits for the next connection (close-on-exec) and reads the message
// its peer sends first: a little-endian u32 length, then that many bytes (at most maxBytes), with the
// SCM_RIGHTS descriptors (close-on-exec) that come with them. { conn, pid, uid, body, fds }; pid and
// uid are SO_PEERCRED's (pid 0: a peer whose pid namespace this one cannot see). A connection whose
// message does not come whole is closed with what came with it, and the call throws.
Napi::Value AcceptRequest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t listenFd, maxBytes;
  if (!IntArg(info, 0, "listenFd", &listenFd) || !IntArg(info, 1, "maxBytes", &maxBytes)) return env.Undefined();
  int conn;
  do conn = accept4(static_cast<int>(listenFd), nullptr, nullptr, SOCK_CLOEXEC); while (conn < 0 && errno == EINTR);
  if (conn < 0) {
    ErrnoError(env, "accept", errno).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  ucred cred{};
  socklen_t credLen = sizeof(cred);
  std::vector<int> fds;
  std::vector<char> body;
  unsigned char head[4];
  const char* failed = nullptr;
  if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &credLen) < 0) {
    failed = "getsockopt(SO_PEERCRED)";
  } else if (!ReceiveExactly(conn, reinterpret_cast<char*>(head), sizeof(head), &fds)) {
    failed = "recvmsg (the request's length)";
  } else {
    uint32_t len = head[0] | (head[1] << 8) | (head[2] << 16) | (static_cast<uint32_t>(head[3]) << 24);
    if (len > static_cast<uint64_t>(maxBytes)) {
      failed = "recvmsg (a request longer than a front sends)";
      errno = EMSGSIZE;
    } else {
      body.resize(len);
      if (!ReceiveExactly(conn, body.data(), len, &fds)) failed = "recvmsg (the request)";
    }
  }
  if (failed) {
    int err = errno;
    for (int fd : fds) close(fd);
    close(conn);
    ErrnoError(env, failed, err).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Array fdArray = Napi::Array::New(env, fds.size());
  for (uint32_t i = 0; i < fds.size(); i++) fdArray.Set(i, Napi::Number::New(env, fds[i]));
  Napi::Object result = Napi::Object::New(env);
  result.Set("conn", Napi::Number::New(env, conn));
  result.Set("pid", Napi::Number::New(env, cred.pid));
  result.Set("uid", Napi::Number::New(env, cred.uid));
  result.Set("body", Napi::Buffer<char>::Copy(env, body.data(), body.size()));
  result.Set("fds", fdArray);
  return result;
}

// Appends what the file holds to text; false when it cannot be read.
bool AppendFile(const std::string& name, std::string* text) {
  int fd = open(name.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      close(fd);
      return false;
    }
    if (n == 0) break;
    text->append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return true;
}

// processIdentity(proc, fields, namespaces): one text of what a process is allowed and sees, equal
// for two processes exactly when they have the same: the lines of <proc>/status whose names are in
// fields (as the kernel writes them), "LSM label:\t" and <proc>/attr/current without its trailing
// newline (nothing when no LSM labels processes), and "ns <type>:\t" with each <proc>/ns/<type> link's
// target ("-" where there is none to read). null when <proc>/status cannot be read.
Napi::Value ProcessIdentity(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array fields, namespaces;
  if (info.Length() < 1 || !info[0].IsString()) {
    Napi::TypeError::New(env, "proc must be a string").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (!ArrayArg(info, 1, "fields", &fields) || !ArrayArg(info, 2, "namespaces", &namespaces)) return env.Undefined();
  std::string proc = info[0].As<Napi::String>().Utf8Value();
  std::vector<std::string> wanted;
  for (uint32_t i = 0; i < fields.Length(); i++) wanted.push_back(fields.Get(i).ToString().Utf8Value());
  std::string status, identity;
  if (!AppendFile(proc + "/status", &status)) return env.Null();
  for (size_t at = 0; at < status.size();) {
    size_t nl = status.find('\n', at);
    if (nl == std::string::npos) nl = status.size();
    size_t colon = status.find(':', at);
    if (colon < nl && std::find(wanted.begin(), wanted.end(), status.substr(at, colon - at)) != wanted.end()) {
      identity.append(status, at, nl - at).push_back('\n');
    }
    at = nl + 1;
  }
  std::string label;
  AppendFile(proc + "/attr/current", &label);
  while (!label.empty() && (label.back() == '\n' || label.back() == '\0')) label.pop_back();
  identity.append("LSM label:\t").append(label).push_back('\n');
  for (uint32_t i = 0; i < namespaces.Length(); i++) {
    std::string type = namespaces.Get(i).ToString().Utf8Value();
    char target[PATH_MAX];
    ssize_t n = readlink((proc + "/ns/" + type).c_str(), target, sizeof(target));
    identity.append("ns ").append(type).append(":\t");
    if (n >= 0) identity.append(target, static_cast<size_t>(n));
    else identity.push_back('-');
    identity.push_back('\n');
  }
  return Napi::String::New(env, identity);
}

// dieWithPeer(fd, notice?) / outliveThePeer(): while a warm worker serves a front, a thread waits for the
// front's end of the connection to close; if it does before the worker is done, the worker kills itself
// at once, as the front's own process (a cold tsrunc) would have died: the command stops where it is.
// The notice ({ fd, afterMs, text }) is written by that thread if the worker is still at it after afterMs
// (how a worker tells the server it is busy without a write for every short request, during which its
// event loop may never run). One thread for the process's life, told what to watch through an eventfd;
// the generation tells a close of a connection it watched before (whose fd number a later connection
// may have again) from the current one.
struct PeerWatch {
  pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
  int wake = -1;
  int fd = -1;
  uint64_t generation = 0;
  int noticeFd = -1;
  std::string noticeText;
  int64_t noticeAtMs = 0;
  bool noticeWritten = false;
};
PeerWatch peerWatch;

int64_t MonotonicMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

void* WatchPeer(void*) {
  for (;;) {
    pthread_mutex_lock(&peerWatch.lock);
    int fd = peerWatch.fd;
    uint64_t generation = peerWatch.generation;
    bool noticeDue = fd >= 0 && peerWatch.noticeFd >= 0 && !peerWatch.noticeWritten;
    int64_t noticeAt = peerWatch.noticeAtMs;
    pthread_mutex_unlock(&peerWatch.lock);
    pollfd p[2] = {{peerWatch.wake, POLLIN, 0}, {fd, POLLRDHUP, 0}};
    int64_t left = noticeDue ? std::max<int64_t>(0, noticeAt - MonotonicMs()) : -1;
    int r = poll(p, fd >= 0 ? 2 : 1, static_cast<int>(left));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return nullptr;
    if (r == 0) {
      pthread_mutex_lock(&peerWatch.lock);
      if (peerWatch.generation == generation && peerWatch.noticeFd >= 0 && !peerWatch.noticeWritten) {
        peerWatch.noticeWritten = true;
        ssize_t ignored = write(peerWatch.noticeFd, peerWatch.noticeText.data(), peerWatch.noticeText.size());
        (void)ignored;  // the server is gone: the worker's next accept finds out too
      }
      pthread_mutex_unlock(&peerWatch.lock);
      continue;
    }
    if ((p[0].revents & POLLIN) != 0) {
      uint64_t count;
      if (read(peerWatch.wake, &count, sizeof(count)) < 0 && errno != EAGAIN) return nullptr;
      continue;
    }
    if (fd >= 0 && (p[1].revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0) {
      pthread_mutex_lock(&peerWatch.lock);
      bool current = peerWatch.generation == generation && peerWatch.fd == fd;
      pthread_mutex_unlock(&peerWatch.lock);
      if (current) kill(getpid(), SIGKILL);
      // else: the worker is done with that connection (outliveThePeer came first): look again
    }
  }
}

/**
 * Tells the watcher to watch fd (-1: nothing), with a notice to write after afterMs (noticeFd -1: none);
 * *noticeWasWritten: whether the notice of what it watched until now had been written.
 */
bool WatchFd(Napi::Env env, int fd, int noticeFd, int64_t afterMs, std::string noticeText, bool* noticeWasWritten = nullptr) {
  if (peerWatch.wake < 0) {
    peerWatch.wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (peerWatch.wake < 0) {
      ErrnoError(env, "eventfd", errno).ThrowAsJavaScriptException();
      return false;
    }
    pthread_t thread;
    int err = pthread_create(&thread, nullptr, WatchPeer, nullptr);
    if (err != 0) {
      close(peerWatch.wake);
      peerWatch.wake = -1;
      ErrnoError(env, "pthread_create", err).ThrowAsJavaScriptException();
      return false;
    }
    pthread_detach(thread);
  }
  pthread_mutex_lock(&peerWatch.lock);
  if (noticeWasWritten) *noticeWasWritten = peerWatch.noticeWritten;
  peerWatch.fd = fd;
  peerWatch.generation++;
  peerWatch.noticeFd = noticeFd;
  peerWatch.noticeText = std::move(noticeText);
  peerWatch.noticeAtMs = MonotonicMs() + afterMs;
  peerWatch.noticeWritten = false;
  pthread_mutex_unlock(&peerWatch.lock);
  uint64_t one = 1;
  if (write(peerWatch.wake, &one, sizeof(one)) < 0) {
    ErrnoError(env, "write(eventfd)", errno).ThrowAsJavaScriptException();
    return false;
  }
  return true;
}

Napi::Value DieWithPeer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t fd, noticeFd = -1, afterMs = 0;
  std::string text;
  if (!IntArg(info, 0, "fd", &fd)) return env.Undefined();
  if (info.Length() > 1 && !info[1].IsUndefined()) {
    if (!info[1].IsObject()) {
      Napi::TypeError::New(env, "dieWithPeer: the notice must be { fd, afterMs, text }").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Object notice = info[1].As<Napi::Object>();
    Napi::Value nfd = notice.Get("fd"), after = notice.Get("afterMs"), t = notice.Get("text");
    if (!nfd.IsNumber() || !after.IsNumber() || !t.IsString()) {
      Napi::TypeError::New(env, "dieWithPeer: the notice must be { fd, afterMs, text }").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    noticeFd = nfd.As<Napi::Number>().Int64Value();
    afterMs = after.As<Napi::Number>().Int64Value();
    text = t.As<Napi::String>().Utf8Value();
  }
  if (peerWatch.fd >= 0) {
    Napi::Error::New(env, "dieWithPeer: a peer is watched already").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  WatchFd(env, static_cast<int>(fd), static_cast<int>(noticeFd), afterMs, std::move(text));
  return env.Undefined();
}

// outliveThePeer(): true when dieWithPeer's notice was written.
Napi::Value OutliveThePeer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bool written = false;
  if (peerWatch.fd >= 0) WatchFd(env, -1, -1, 0, std::string(), &written);
  return Napi::Boolean::New(env, written);
}

// dup(fd): a close-on-exec copy of fd numbered 10 or above (clear of stdio and --preserve-fds' first ones).
Napi::Value Dup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t fd;
  if (!IntArg(info, 0, "fd", &fd)) return env.Undefined();
  int copy = fcntl(static_cast<int>(fd), F_DUPFD_CLOEXEC, 10);
  if (copy < 0) {
    ErrnoError(env, "fcntl(F_DUPFD_CLOEXEC)", errno).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, copy);
}

// dup2(from, to): `to` names what `from` does (not close-on-exec).
Napi::Value Dup2(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t from, to;
  if (!IntArg(info, 0, "from", &from) || !IntArg(info, 1, "to", &to)) return env.Undefined();
  int r;
  do r = dup2(static_cast<int>(from), static_cast<int>(to)); while (r < 0 && errno == EINTR);
  if (r < 0) ErrnoError(env, "dup2", errno).ThrowAsJavaScriptException();
  return env.Undefined();
}

// Accepts one connection on a listening socket (waiting at most timeoutMs; negative: no limit) and
// receives one message from it: a non-empty name and exactly one fd (SCM_RIGHTS), as runc's
// console-socket receivers (go-runc) require. Returns { fd, name }; the fd is close-on-exec.
Napi::Value ReceiveFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t listenFd, timeoutMs;
  if (!IntArg(info, 0, "fd", &listenFd) || !IntArg(info, 1, "timeoutMs", &timeoutMs)) return env.Undefined();
  pollfd p{static_cast<int>(listenFd), POLLIN, 0};
  int r;
  do r = poll(&p, 1, static_cast<int>(timeoutMs)); while (r < 0 && errno == EINTR);
  if (r < 0) {
    ErrnoError(env, "poll", errno).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (r == 0) {
    ErrnoError(env, "accept", ETIMEDOUT).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int conn;
  do conn = accept4(static_cast<int>(listenFd), nullptr, nullptr, SOCK_CLOEXEC); while (conn < 0 && errno == EINTR);
  if (conn < 0) {
    ErrnoError(env, "accept", errno).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  char name[4096];
  std::vector<int> fds;
  int flags = 0;
  ssize_t n = ReceiveWithFds(conn, name, sizeof(name), &fds, &flags);
  int err = n < 0 ? errno : 0;
  close(conn);
  if (err != 0 || n <= 0 || fds.size() != 1 || (flags & (MSG_TRUNC | MSG_CTRUNC)) != 0) {
    for (int fd : fds) close(fd);
    ErrnoError(env, "recvmsg", err != 0 ? err : EBADMSG).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("fd", Napi::Number::New(env, fds[0]));
  result.Set("name", Napi::String::New(env, name, static_cast<size_t>(n)));
  return result;
}

// ioctl(fd, TIOCSWINSZ): the size of a terminal.
Napi::Value SetWinsize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t fd, rows, cols;
  if (!IntArg(info, 0, "fd", &fd) || !IntArg(info, 1, "rows", &rows) || !IntArg(info, 2, "cols", &cols)) return env.Undefined();
  winsize ws{};
  ws.ws_row = static_cast<unsigned short>(rows);
  ws.ws_col = static_cast<unsigned short>(cols);
  if (ioctl(static_cast<int>(fd), TIOCSWINSZ, &ws) < 0) {
    ErrnoError(env, "ioctl(TIOCSWINSZ)", errno).ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

// getWinsize(fd): ioctl(fd, TIOCGWINSZ), { rows, cols } (ENOTTY when fd is not a terminal).
Napi::Value GetWinsize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t fd;
  if (!IntArg(info, 0, "fd", &fd)) return env.Undefined();
  winsize ws{};
  if (ioctl(static_cast<int>(fd), TIOCGWINSZ, &ws) < 0) {
    ErrnoError(env, "ioctl(TIOCGWINSZ)", errno).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("rows", Napi::Number::New(env, ws.ws_row));
  result.Set("cols", Napi::Number::New(env, ws.ws_col));
  return result;
}

// seccomp_arch_resolve_name: a libseccomp architecture name ("x86", "x32", ...) to its token, 0 when
// this libseccomp does not know it. With no name: the native architecture's token.
Napi::Value SeccompArch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() == 0) return Napi::Number::New(env, seccomp_arch_native());
  if (!info[0].IsString()) {
    Napi::TypeError::New(env, "arch must be a string").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, seccomp_arch_resolve_name(info[0].As<Napi::String>().Utf8Value().c_str()));
}

// seccomp_syscall_resolve_name_arch for each name: its number on the architecture (negative for
// libseccomp's pseudo numbers of calls that architecture lacks), null when libseccomp does not know it.
Napi::Value SeccompSyscallNumbers(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t arch;
  Napi::Array names;
  if (!IntArg(info, 0, "arch", &arch) || !ArrayArg(info, 1, "names", &names)) return env.Undefined();
  Napi::Array result = Napi::Array::New(env, names.Length());
  for (uint32_t i = 0; i < names.Length(); i++) {
    Napi::Value name = names.Get(i);
    int nr = name.IsString()
      ? seccomp_syscall_resolve_name_arch(static_cast<uint32_t>(arch), name.As<Napi::String>().Utf8Value().c_str())
      : __NR_SCMP_ERROR;
    result.Set(i, nr == __NR_SCMP_ERROR ? env.Null() : Napi::Number::New(env, nr));
  }
  return result;
}

// seccomp_syscall_resolve_num_arch for each number: its name on the architecture, null when none.
Napi::Value SeccompSyscallNames(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t arch;
  Napi::Array numbers;
  if (!IntArg(info, 0, "arch", &arch) || !ArrayArg(info, 1, "numbers", &numbers)) return env.Undefined();
  Napi::Array result = Napi::Array::New(env, numbers.Length());
  for (uint32_t i = 0; i < numbers.Length(); i++) {
    Napi::Value nr = numbers.Get(i);
    char* name = nr.IsNumber()
      ? seccomp_syscall_resolve_num_arch(static_cast<uint32_t>(arch), nr.As<Napi::Number>().Int32Value())
      : nullptr;
    result.Set(i, name ? Napi::String::New(env, name) : env.Null());
    free(name);
  }
  return result;
}

// strerror and strerrorname_np of an errno: { message: "Exec format error", name: "ENOEXEC" } (name
// empty when unknown), for the errnos Node's own table lacks.
Napi::Value Strerror(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t err;
  if (!IntArg(info, 0, "errno", &err)) return env.Undefined();
  const char* name = strerrorname_np(static_cast<int>(err));
  Napi::Object result = Napi::Object::New(env);
  result.Set("message", Napi::String::New(env, std::strerror(static_cast<int>(err))));
  result.Set("name", Napi::String::New(env, name ? name : ""));
  return result;
}

// The version of the libseccomp tsrunc runs with, "2.5.4".
Napi::Value SeccompVersion(const Napi::CallbackInfo& info) {
  const scmp_version* v = seccomp_version();
  return Napi::String::New(info.Env(), std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro));
}

// ---- bpf(2). What is loaded, where it is attached and what is detached is decided in TypeScript
// (src/linux/cgroups/device-filter.ts); these calls take its numbers as they are.

int Bpf(int cmd, union bpf_attr* attr) {
  return static_cast<int>(syscall(__NR_bpf, cmd, attr, sizeof(*attr)));
}

uint64_t PointerArg(const void* p) {
  return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(p));
}

// bpfProgLoad(type, insns: Uint8Array, license) -> fd (close-on-exec, as every bpf fd). A failure is
// an ErrnoError with .log, the verifier's last words when it had any.
Napi::Value BpfProgLoad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t type;
  if (!IntArg(info, 0, "type", &type)) return env.Undefined();
  if (info.Length() < 3 || !info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array ||
      !info[2].IsString()) {
    Napi::TypeError::New(env, "bpfProgLoad(type, insns: Uint8Array, license: string)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Uint8Array insns = info[1].As<Napi::Uint8Array>();
  if (insns.ByteLength() == 0 || insns.ByteLength() % sizeof(struct bpf_insn) != 0) {
    Napi::TypeError::New(env, "insns must be whole instructions").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string license = info[2].As<Napi::String>().Utf8Value();
  union bpf_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.prog_type = static_cast<uint32_t>(type);
  attr.insns = PointerArg(insns.Data());
  attr.insn_cnt = static_cast<uint32_t>(insns.ByteLength() / sizeof(struct bpf_insn));
  attr.license = PointerArg(license.c_str());
  int fd = Bpf(BPF_PROG_LOAD, &attr);
  struct rlimit memlock;
  if (fd < 0 && errno == EPERM && getrlimit(RLIMIT_MEMLOCK, &memlock) == 0 && memlock.rlim_cur < memlock.rlim_max) {
    // Before Linux 5.11 a program is charged to RLIMIT_MEMLOCK: once more with the soft limit raised
    // to the hard one, which is put back after (hooks and helpers started later inherit it).
    struct rlimit raised = {memlock.rlim_max, memlock.rlim_max};
    if (setrlimit(RLIMIT_MEMLOCK, &raised) == 0) {
      fd = Bpf(BPF_PROG_LOAD, &attr);
      int saved = errno;
      setrlimit(RLIMIT_MEMLOCK, &memlock);
      errno = saved;
    }
  }
  if (fd >= 0) return Napi::Number::New(env, fd);
  int err = errno;
  std::string log;
  if (err != EPERM) {
    // Again with the verifier's log, to say what it refused.
    std::vector<char> buf(64 * 1024, '\0');
    attr.log_level = 1;
    attr.log_buf = PointerArg(buf.data());
    attr.log_size = static_cast<uint32_t>(buf.size());
    fd = Bpf(BPF_PROG_LOAD, &attr);
    if (fd >= 0) return Napi::Number::New(env, fd);
    log.assign(buf.data(), strnlen(buf.data(), buf.size()));
  }
  Napi::Error error = ErrnoError(env, "bpf(BPF_PROG_LOAD)", err);
  error.Set("log", Napi::String::New(env, log));
  error.ThrowAsJavaScriptException();
  return env.Undefined();
}

// bpfProgAttach(targetFd, progFd, attachType, flags).
Napi::Value BpfProgAttach(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t target, prog, type, flags;
  if (!IntArg(info, 0, "targetFd", &target) || !IntArg(info, 1, "progFd", &prog) || !IntArg(info, 2, "attachType", &type) ||
      !IntArg(info, 3, "flags", &flags)) {
    return env.Undefined();
  }
  union bpf_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.target_fd = static_cast<uint32_t>(target);
  attr.attach_bpf_fd = static_cast<uint32_t>(prog);
  attr.attach_type = static_cast<uint32_t>(type);
  attr.attach_flags = static_cast<uint32_t>(flags);
  if (Bpf(BPF_PROG_ATTACH, &attr) < 0) ErrnoError(env, "bpf(BPF_PROG_ATTACH)", errno).ThrowAsJavaScriptException();
  return env.Undefined();
}

// bpfProgDetach(targetFd, progFd, attachType).
Napi::Value BpfProgDetach(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t target, prog, type;
  if (!IntArg(info, 0, "targetFd", &target) || !IntArg(info, 1, "progFd", &prog) || !IntArg(info, 2, "attachType", &type)) {
    return env.Undefined();
  }
  union bpf_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.target_fd = static_cast<uint32_t>(target);
  attr.attach_bpf_fd = static_cast<uint32_t>(prog);
  attr.attach_type = static_cast<uint32_t>(type);
  if (Bpf(BPF_PROG_DETACH, &attr) < 0) ErrnoError(env, "bpf(BPF_PROG_DETACH)", errno).ThrowAsJavaScriptException();
  return env.Undefined();
}

// bpfProgQuery(targetFd, attachType) -> the ids of the programs attached to the target itself.
Napi::Value BpfProgQuery(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t target, type;
  if (!IntArg(info, 0, "targetFd", &target) || !IntArg(info, 1, "attachType", &type)) return env.Undefined();
  std::vector<uint32_t> ids(64);
  for (int tries = 0; tries < 8; tries++) {
    union bpf_attr attr;
    std::memset(&attr, 0, sizeof(attr));
    attr.query.target_fd = static_cast<uint32_t>(target);
    attr.query.attach_type = static_cast<uint32_t>(type);
    attr.query.prog_ids = PointerArg(ids.data());
    attr.query.prog_cnt = static_cast<uint32_t>(ids.size());
    if (Bpf(BPF_PROG_QUERY, &attr) == 0) {
      Napi::Array result = Napi::Array::New(env, attr.query.prog_cnt);
      for (uint32_t i = 0; i < attr.query.prog_cnt && i < ids.size(); i++) result.Set(i, Napi::Number::New(env, ids[i]));
      return result;
    }
    // ENOSPC: more were attached than there was room for; prog_cnt says how many.
    if (errno != ENOSPC) break;
    ids.resize(std::max<size_t>(attr.query.prog_cnt, ids.size() * 2));
  }
  ErrnoError(env, "bpf(BPF_PROG_QUERY)", errno).ThrowAsJavaScriptException();
  return env.Undefined();
}

// bpfProgGetFdById(id) -> fd of an existing program.
Napi::Value BpfProgGetFdById(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t id;
  if (!IntArg(info, 0, "id", &id)) return env.Undefined();
  union bpf_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.prog_id = static_cast<uint32_t>(id);
  int fd = Bpf(BPF_PROG_GET_FD_BY_ID, &attr);
  if (fd < 0) {
    ErrnoError(env, "bpf(BPF_PROG_GET_FD_BY_ID)", errno).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, fd);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("pidfdOpen", Napi::Function::New(env, PidfdOpen, "pidfdOpen"));
  exports.Set("pidfdSendSignal", Napi::Function::New(env, PidfdSendSignal, "pidfdSendSignal"));
  exports.Set("waitReadable", Napi::Function::New(env, WaitReadable, "waitReadable"));
  exports.Set("waitpid", Napi::Function::New(env, Waitpid, "waitpid"));
  exports.Set("waitpidSync", Napi::Function::New(env, WaitpidSync, "waitpidSync"));
  exports.Set("spawnHelper", Napi::Function::New(env, SpawnHelper, "spawnHelper"));
  exports.Set("flock", Napi::Function::New(env, Flock, "flock"));
  exports.Set("mkfifo", Napi::Function::New(env, Mkfifo, "mkfifo"));
  exports.Set("setChildSubreaper", Napi::Function::New(env, SetChildSubreaper, "setChildSubreaper"));
  exports.Set("listenUnix", Napi::Function::New(env, ListenUnix, "listenUnix"));
  exports.Set("acceptRequest", Napi::Function::New(env, AcceptRequest, "acceptRequest"));
  exports.Set("processIdentity", Napi::Function::New(env, ProcessIdentity, "processIdentity"));
  exports.Set("dup", Napi::Function::New(env, Dup, "dup"));
  exports.Set("dieWithPeer", Napi::Function::New(env, DieWithPeer, "dieWithPeer"));
  exports.Set("outliveThePeer", Napi::Function::New(env, OutliveThePeer, "outliveThePeer"));
  exports.Set("dup2", Napi::Function::New(env, Dup2, "dup2"));
  exports.Set("receiveFd", Napi::Function::New(env, ReceiveFd, "receiveFd"));
  exports.Set("pidfdGetFd", Napi::Function::New(env, PidfdGetFd, "pidfdGetFd"));
  exports.Set("sendFd", Napi::Function::New(env, SendFd, "sendFd"));
  exports.Set("setWinsize", Napi::Function::New(env, SetWinsize, "setWinsize"));
  exports.Set("getWinsize", Napi::Function::New(env, GetWinsize, "getWinsize"));
  exports.Set("detachMount", Napi::Function::New(env, DetachMount, "detachMount"));
  exports.Set("strerror", Napi::Function::New(env, Strerror, "strerror"));
  exports.Set("seccompArch", Napi::Function::New(env, SeccompArch, "seccompArch"));
  exports.Set("seccompSyscallNumbers", Napi::Function::New(env, SeccompSyscallNumbers, "seccompSyscallNumbers"));
  exports.Set("seccompSyscallNames", Napi::Function::New(env, SeccompSyscallNames, "seccompSyscallNames"));
  exports.Set("seccompVersion", Napi::Function::New(env, SeccompVersion, "seccompVersion"));
  exports.Set("bpfProgLoad", Napi::Function::New(env, BpfProgLoad, "bpfProgLoad"));
  exports.Set("bpfProgAttach", Napi::Function::New(env, BpfProgAttach, "bpfProgAttach"));
  exports.Set("bpfProgDetach", Napi::Function::New(env, BpfProgDetach, "bpfProgDetach"));
  exports.Set("bpfProgQuery", Napi::Function::New(env, BpfProgQuery, "bpfProgQuery"));
  exports.Set("bpfProgGetFdById", Napi::Function::New(env, BpfProgGetFdById, "bpfProgGetFdById"));
  return exports;
}

}  // namespace

NODE_API_MODULE(tsrunc_native, Init)
