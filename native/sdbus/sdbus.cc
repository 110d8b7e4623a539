// tsrunc_sdbus: calls on systemd's D-Bus API through sd-bus (libsystemd), for the systemd cgroup
// driver. A module of its own so that only commands of that driver load libsystemd. It knows nothing of
// units or properties: the TypeScript side (src/linux/cgroups/systemd/) decides what is called with
// what, as data (a signature and values); this encodes it, calls, and waits for a job to finish.
//
//   connect(address, busClient)                  one connection for the process (reused)
//   call(member, signature, args, timeoutMs)     a Manager method; its reply's object path, if it has one
//   callJob(member, signature, args, timeoutMs)  a Manager method that queues a job: waits for the job's
//                                                JobRemoved signal; { job, result } ("done", "failed", ...)
//   queueJob(member, signature, args, timeoutMs) the same in two halves: the job's path once it is
//   waitJob(job, timeoutMs)                      queued, and later its result
//   managerProperty(name, timeoutMs)             a string or integer property of the Manager
// Failures throw an Error: .code is the errno name, and for a D-Bus error .dbusName is its name.
#include <napi.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <functional>
#include <map>
#include <string>

#include <systemd/sd-bus.h>

namespace {

const char* kDest = "org.freedesktop.systemd1";
const char* kPath = "/org/freedesktop/systemd1";
const char* kManager = "org.freedesktop.systemd1.Manager";

sd_bus* bus = nullptr;
sd_bus_slot* job_match = nullptr;
std::map<std::string, std::string> finished_jobs;  // job path -> result, from JobRemoved

Napi::Error BusError(Napi::Env env, const std::string& what, int r, const sd_bus_error* e = nullptr) {
  int err = r < 0 ? -r : r;
  std::string message = what + ": ";
  if (e != nullptr && sd_bus_error_is_set(e)) message += e->message != nullptr ? e->message : e->name;
  else message += std::strerror(err);
  Napi::Error error = Napi::Error::New(env, message);
  const char* name = strerrorname_np(err);
  error.Set("code", Napi::String::New(env, name != nullptr ? name : "UNKNOWN"));
  error.Set("errno", Napi::Number::New(env, err));
  if (e != nullptr && sd_bus_error_is_set(e)) error.Set("dbusName", Napi::String::New(env, e->name));
  return error;
}

uint64_t NowUsec() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

// The length of the complete type at the start of sig, 0 when there is none.
size_t TypeLength(const char* sig) {
  switch (sig[0]) {
    case 'y': case 'b': case 'n': case 'q': case 'i': case 'u': case 'x': case 't': case 'd':
    case 's': case 'o': case 'g': case 'v': case 'h':
      return 1;
    case 'a': {
      size_t n = TypeLength(sig + 1);
      return n == 0 ? 0 : n + 1;
    }
    case '(': case '{': {
      char close = sig[0] == '(' ? ')' : '}';
      size_t i = 1;
      while (sig[i] != close) {
        size_t n = TypeLength(sig + i);
        if (n == 0) return 0;
        i += n;
      }
      return i + 1;
    }
    default:
      return 0;
  }
}

bool Fail(Napi::Env env, const std::string& message) {
  Napi::TypeError::New(env, message).ThrowAsJavaScriptException();
  return false;
}

bool AppendValue(Napi::Env env, sd_bus_message* m, const std::string& sig, Napi::Value v);

bool AppendContainer(Napi::Env env, sd_bus_message* m, char type, const std::string& contents, Napi::Value v) {
  int r = sd_bus_message_open_container(m, type, contents.c_str());
  if (r < 0) return Fail(env, std::string("sd_bus_message_open_container: ") + std::strerror(-r));
  if (type == 'v') {
    if (!AppendValue(env, m, contents, v)) return false;
  } else if (type == 'a') {
    if (!v.IsArray()) return Fail(env, "an array value must be an array");
    Napi::Array items = v.As<Napi::Array>();
    for (uint32_t i = 0; i < items.Length(); i++) {
      if (contents[0] == '{') {
        std::string inner = contents.substr(1, contents.size() - 2);
        if (!AppendContainer(env, m, 'e', inner, items.Get(i))) return false;
      } else if (!AppendValue(env, m, contents, items.Get(i))) {
        return false;
      }
    }
  } else {  // 'r' (struct) or 'e' (dict entry): one value per field
    if (!v.IsArray()) return Fail(env, "a struct value must be an array of its fields");
    Napi::Array fields = v.As<Napi::Array>();
    uint32_t i = 0;
    for (size_t at = 0; at < contents.size(); i++) {
      size_t n = TypeLength(contents.c_str() + at);
      if (n == 0 || i >= fields.Length()) return Fail(env, "a struct value does not match its signature");
      if (!AppendValue(env, m, contents.substr(at, n), fields.Get(i))) return false;
      at += n;
    }
  }
  r = sd_bus_message_close_container(m);
  if (r < 0) return Fail(env, std::string("sd_bus_message_close_container: ") + std::strerror(-r));
  return true;
}

bool Uint64Of(Napi::Env env, Napi::Value v, uint64_t* out) {
  if (v.IsBigInt()) {
    bool lossless;
    *out = v.As<Napi::BigInt>().Uint64Value(&lossless);
    return lossless || Fail(env, "a uint64 value is out of range");
  }
  if (v.IsNumber()) {
    *out = static_cast<uint64_t>(v.As<Napi::Number>().Int64Value());
    return true;
  }
  return Fail(env, "an integer value must be a number or a bigint");
}

bool AppendValue(Napi::Env env, sd_bus_message* m, const std::string& sig, Napi::Value v) {
  if (TypeLength(sig.c_str()) != sig.size()) return Fail(env, "not a single complete type: " + sig);
  char c = sig[0];
  int r = 0;
  switch (c) {
    case 'a': {
      std::string elem = sig.substr(1);
      if (elem == "y" && v.IsTypedArray()) {
        Napi::Uint8Array bytes = v.As<Napi::Uint8Array>();
        r = sd_bus_message_append_array(m, 'y', bytes.Data(), bytes.ByteLength());
        break;
      }
      return AppendContainer(env, m, 'a', elem, v);
    }
    case '(':
      return AppendContainer(env, m, 'r', sig.substr(1, sig.size() - 2), v);
    case 'v': {
      if (!v.IsObject()) return Fail(env, "a variant value must be { sig, value }");
      Napi::Object o = v.As<Napi::Object>();
      Napi::Value s = o.Get("sig");
      if (!s.IsString()) return Fail(env, "a variant value must be { sig, value }");
      return AppendContainer(env, m, 'v', s.As<Napi::String>().Utf8Value(), o.Get("value"));
    }
    case 's': case 'o': case 'g': {
      if (!v.IsString()) return Fail(env, "a string value must be a string");
      std::string s = v.As<Napi::String>().Utf8Value();
      r = sd_bus_message_append_basic(m, c, s.c_str());
      break;
    }
    case 'b': {
      if (!v.IsBoolean()) return Fail(env, "a boolean value must be a boolean");
      int b = v.As<Napi::Boolean>().Value() ? 1 : 0;
      r = sd_bus_message_append_basic(m, c, &b);
      break;
    }
    case 'd': {
      if (!v.IsNumber()) return Fail(env, "a double value must be a number");
      double d = v.As<Napi::Number>().DoubleValue();
      r = sd_bus_message_append_basic(m, c, &d);
      break;
    }
    case 'x': case 't': {
      uint64_t u;
      if (!Uint64Of(env, v, &u)) return false;
      if (c == 'x' && v.IsBigInt()) {
        bool lossless;
        int64_t x = v.As<Napi::BigInt>().Int64Value(&lossless);
        r = sd_bus_message_append_basic(m, c, &x);
      } else {
        r = sd_bus_message_append_basic(m, c, &u);
      }
      break;
    }
    case 'y': case 'n': case 'q': case 'i': case 'u': {
      if (!v.IsNumber()) return Fail(env, "an integer value must be a number");
      int64_t n = v.As<Napi::Number>().Int64Value();
      uint8_t y = static_cast<uint8_t>(n);
      int16_t i16 = static_cast<int16_t>(n);
      uint16_t u16 = static_cast<uint16_t>(n);
      int32_t i32 = static_cast<int32_t>(n);
      uint32_t u32 = static_cast<uint32_t>(n);
      const void* p = c == 'y' ? static_cast<const void*>(&y) : c == 'n' ? static_cast<const void*>(&i16)
                    : c == 'q' ? static_cast<const void*>(&u16) : c == 'i' ? static_cast<const void*>(&i32)
                    : static_cast<const void*>(&u32);
      r = sd_bus_message_append_basic(m, c, p);
      break;
    }
    default:
      return Fail(env, "cannot send a value of type " + sig);
  }
  if (r < 0) return Fail(env, std::string("sd_bus_message_append: ") + std::strerror(-r));
  return true;
}

int OnJobRemoved(sd_bus_message* m, void*, sd_bus_error*) {
  uint32_t id;
  const char *job, *unit, *result;
  if (sd_bus_message_read(m, "uoss", &id, &job, &unit, &result) >= 0) finished_jobs[job] = result;
  return 0;
}

bool NeedBus(Napi::Env env) {
  if (bus != nullptr) return true;
  Napi::Error::New(env, "not connected to systemd").ThrowAsJavaScriptException();
  return false;
}

Napi::Value Connect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsBoolean()) return Fail(env, "connect(address, busClient)"), env.Undefined();
  if (bus != nullptr) return env.Undefined();
  std::string address = info[0].As<Napi::String>().Utf8Value();
  sd_bus* b = nullptr;
  int r = sd_bus_new(&b);
  if (r >= 0) r = sd_bus_set_address(b, address.c_str());
  if (r >= 0) r = sd_bus_set_bus_client(b, info[1].As<Napi::Boolean>().Value());
  if (r >= 0) r = sd_bus_start(b);
  if (r < 0) {
    sd_bus_unref(b);
    BusError(env, "connect", r).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  bus = b;
  return env.Undefined();
}

// Builds the method call Manager.<member>(args of signature).
sd_bus_message* NewCall(Napi::Env env, const Napi::CallbackInfo& info, std::string* member) {
  if (info.Length() < 4 || !info[0].IsString() || !info[1].IsString() || !info[2].IsArray() || !info[3].IsNumber()) {
    Fail(env, "(member, signature, args, timeoutMs)");
    return nullptr;
  }
  *member = info[0].As<Napi::String>().Utf8Value();
  std::string sig = info[1].As<Napi::String>().Utf8Value();
  Napi::Array args = info[2].As<Napi::Array>();
  sd_bus_message* m = nullptr;
  int r = sd_bus_message_new_method_call(bus, &m, kDest, kPath, kManager, member->c_str());
  if (r < 0) {
    BusError(env, *member, r).ThrowAsJavaScriptException();
    return nullptr;
  }
  uint32_t i = 0;
  for (size_t at = 0; at < sig.size(); i++) {
    size_t n = TypeLength(sig.c_str() + at);
    if (n == 0 || i >= args.Length()) {
      sd_bus_message_unref(m);
      Fail(env, "the arguments do not match the signature " + sig);
      return nullptr;
    }
    if (!AppendValue(env, m, sig.substr(at, n), args.Get(i))) {
      sd_bus_message_unref(m);
      return nullptr;
    }
    at += n;
  }
  return m;
}

struct Pending {
  bool done = false;
  sd_bus_message* reply = nullptr;
  sd_bus_error error = SD_BUS_ERROR_NULL;
};

int OnReply(sd_bus_message* m, void* userdata, sd_bus_error*) {
  Pending* p = static_cast<Pending*>(userdata);
  p->done = true;
  const sd_bus_error* e = sd_bus_message_get_error(m);
  if (e != nullptr) sd_bus_error_copy(&p->error, e);
  else p->reply = sd_bus_message_ref(m);
  return 0;
}

// Runs the connection until done() or the deadline. A signal (SIGCHLD of a child that systemd just
// killed, say) interrupts the wait: that is no failure, the wait goes on (sd_bus_call would fail EINTR).
int RunUntil(uint64_t deadline, const std::function<bool()>& done) {
  for (;;) {
    if (done()) return 0;
    int r = sd_bus_process(bus, nullptr);
    if (r < 0) return r;
    if (r > 0) continue;
    uint64_t now = NowUsec();
    if (now >= deadline) return -ETIMEDOUT;
    r = sd_bus_wait(bus, deadline - now);
    if (r < 0 && r != -EINTR) return r;
  }
}

// Sends m (and unrefs it); the reply, which the caller unrefs, or nullptr after throwing.
sd_bus_message* Send(Napi::Env env, const std::string& what, sd_bus_message* m, uint64_t timeout_usec) {
  Pending p;
  sd_bus_slot* slot = nullptr;
  int r = sd_bus_call_async(bus, &slot, m, OnReply, &p, timeout_usec);
  sd_bus_message_unref(m);
  if (r >= 0) r = RunUntil(NowUsec() + timeout_usec, [&p] { return p.done; });
  sd_bus_slot_unref(slot);
  if (r < 0 || sd_bus_error_is_set(&p.error)) {
    BusError(env, what, r < 0 ? r : -sd_bus_error_get_errno(&p.error), &p.error).ThrowAsJavaScriptException();
    sd_bus_error_free(&p.error);
    sd_bus_message_unref(p.reply);
    return nullptr;
  }
  return p.reply;
}

// The object path a reply starts with ("" when it has none).
std::string ReplyPath(sd_bus_message* reply) {
  char type;
  const char* p = nullptr;
  if (sd_bus_message_peek_type(reply, &type, nullptr) > 0 && type == 'o' && sd_bus_message_read(reply, "o", &p) > 0) return p;
  return "";
}

Napi::Value Call(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!NeedBus(env)) return env.Undefined();
  std::string member;
  sd_bus_message* m = NewCall(env, info, &member);
  if (m == nullptr) return env.Undefined();
  uint64_t timeout = static_cast<uint64_t>(info[3].As<Napi::Number>().Int64Value()) * 1000;
  sd_bus_message* reply = Send(env, member, m, timeout);
  if (reply == nullptr) return env.Undefined();
  std::string path = ReplyPath(reply);
  sd_bus_message_unref(reply);
  return path.empty() ? env.Undefined() : Napi::String::New(env, path);
}

// Calls a Manager method that queues a job; the job's path, or "" after throwing. The match for the
// job's JobRemoved is added first (asynchronously: the bus handles the AddMatch before the call that
// follows it, so no signal of the job can be missed, and no round trip is waited for).
std::string QueueJob(Napi::Env env, const Napi::CallbackInfo& info, uint64_t timeout) {
  if (job_match == nullptr) {
    int r = sd_bus_match_signal_async(bus, &job_match, kDest, kPath, kManager, "JobRemoved", OnJobRemoved, nullptr, nullptr);
    if (r < 0) {
      BusError(env, "AddMatch JobRemoved", r).ThrowAsJavaScriptException();
      return "";
    }
  }
  std::string member;
  sd_bus_message* m = NewCall(env, info, &member);
  if (m == nullptr) return "";
  sd_bus_message* reply = Send(env, member, m, timeout);
  if (reply == nullptr) return "";
  std::string job = ReplyPath(reply);
  sd_bus_message_unref(reply);
  if (job.empty()) Napi::Error::New(env, member + ": the reply names no job").ThrowAsJavaScriptException();
  return job;
}

// Waits for the JobRemoved of `job` (it may have come already); its result, or "" after throwing.
std::string WaitJob(Napi::Env env, const std::string& job, uint64_t timeout) {
  int r = RunUntil(NowUsec() + timeout, [&job] { return finished_jobs.count(job) > 0; });
  if (r < 0) {
    std::string what = r == -ETIMEDOUT ? "job " + job + " did not finish in time" : "waiting for job " + job;
    BusError(env, what, r).ThrowAsJavaScriptException();
    return "";
  }
  std::string result = finished_jobs[job];
  finished_jobs.erase(job);
  return result;
}

uint64_t TimeoutArg(const Napi::CallbackInfo& info, size_t i) {
  return static_cast<uint64_t>(info.Length() > i && info[i].IsNumber() ? info[i].As<Napi::Number>().Int64Value() : 0) * 1000;
}

Napi::Value QueueJobCall(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!NeedBus(env)) return env.Undefined();
  std::string job = QueueJob(env, info, TimeoutArg(info, 3));
  return job.empty() ? env.Undefined() : Napi::String::New(env, job);
}

Napi::Value WaitJobCall(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!NeedBus(env)) return env.Undefined();
  if (info.Length() < 2 || !info[0].IsString()) return Fail(env, "waitJob(job, timeoutMs)"), env.Undefined();
  std::string result = WaitJob(env, info[0].As<Napi::String>().Utf8Value(), TimeoutArg(info, 1));
  return result.empty() ? env.Undefined() : Napi::String::New(env, result);
}

Napi::Value CallJob(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!NeedBus(env)) return env.Undefined();
  uint64_t timeout = TimeoutArg(info, 3);
  uint64_t start = NowUsec();
  std::string job = QueueJob(env, info, timeout);
  if (job.empty()) return env.Undefined();
  uint64_t spent = NowUsec() - start;
  std::string result = WaitJob(env, job, timeout > spent ? timeout - spent : 0);
  if (result.empty()) return env.Undefined();
  Napi::Object out = Napi::Object::New(env);
  out.Set("job", job);
  out.Set("result", result);
  return out;
}

Napi::Value ManagerProperty(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!NeedBus(env)) return env.Undefined();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsNumber()) return Fail(env, "managerProperty(name, timeoutMs)"), env.Undefined();
  std::string name = info[0].As<Napi::String>().Utf8Value();
  uint64_t timeout = static_cast<uint64_t>(info[1].As<Napi::Number>().Int64Value()) * 1000;
  sd_bus_message* m = nullptr;
  int r = sd_bus_message_new_method_call(bus, &m, kDest, kPath, "org.freedesktop.DBus.Properties", "Get");
  if (r >= 0) r = sd_bus_message_append(m, "ss", kManager, name.c_str());
  if (r < 0) {
    sd_bus_message_unref(m);
    BusError(env, "Get " + name, r).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  sd_bus_message* reply = Send(env, "Get " + name, m, timeout);
  if (reply == nullptr) return env.Undefined();
  Napi::Value out = env.Undefined();
  const char* contents = nullptr;
  char type;
  if (sd_bus_message_peek_type(reply, &type, &contents) > 0 && type == 'v' && contents != nullptr) {
    std::string c = contents;
    if (sd_bus_message_enter_container(reply, 'v', contents) > 0) {
      if (c == "s") {
        const char* s;
        if (sd_bus_message_read(reply, "s", &s) > 0) out = Napi::String::New(env, s);
      } else if (c == "t" || c == "u") {
        uint64_t t = 0;
        uint32_t u = 0;
        if (c == "t" ? sd_bus_message_read(reply, "t", &t) > 0 : sd_bus_message_read(reply, "u", &u) > 0) {
          out = Napi::BigInt::New(env, c == "t" ? t : static_cast<uint64_t>(u));
        }
      }
    }
  }
  sd_bus_message_unref(reply);
  return out;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("connect", Napi::Function::New(env, Connect, "connect"));
  exports.Set("call", Napi::Function::New(env, Call, "call"));
  exports.Set("callJob", Napi::Function::New(env, CallJob, "callJob"));
  exports.Set("queueJob", Napi::Function::New(env, QueueJobCall, "queueJob"));
  exports.Set("waitJob", Napi::Function::New(env, WaitJobCall, "waitJob"));
  exports.Set("managerProperty", Napi::Function::New(env, ManagerProperty, "managerProperty"));
  return exports;
}

}  // namespace

NODE_API_MODULE(tsrunc_sdbus, Init)
