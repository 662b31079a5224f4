// The executable of the shared-library tests (tests/shared_libraries.cpp): built with hidden visibility and
// without -rdynamic, linked to the shared library, loading plugins by path. One scenario per invocation:
//   app trio PLUGIN             spans in the executable around the library's and the plugin's, on the main
//                               thread and on another thread
//   app late PLUGIN             the plugin is loaded after the run started
//   app unload PLUGIN PLUGIN2   the plugin is unloaded while its records are still in the ring and another
//                               thread records, then a second plugin (other names) is loaded and recorded
//   app other_abi PLUGIN        the plugin carries a spanlog of another ABI
//   app fork PLUGIN             a forked child records through all three images into a run of its own
//   app crash PLUGIN            the plugin dies of SIGSEGV inside its own span, within the first flush
//                               interval, under a span of the executable's
// It prints "flusher_threads N" while the run records, after every image has recorded.
#include <dirent.h>
#include <dlfcn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <spanlog/spanlog.hpp>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include "library.hpp"

namespace {

using PluginFn = int (*)(int);
constexpr int unload_spans = 20000;
constexpr int fork_child_requests = 10;

// Threads of the process named as the flusher names itself: there must be one, whatever the sanitizers add.
int flusher_threads() {
  int n = 0;
  if (DIR* d = ::opendir("/proc/self/task")) {
    while (dirent* e = ::readdir(d)) {
      if (e->d_name[0] == '.') continue;
      char name[64] = {};
      const std::string path = std::string("/proc/self/task/") + e->d_name + "/comm";
      if (FILE* f = std::fopen(path.c_str(), "r")) {
        if (std::fgets(name, sizeof name, f)) n += std::strcmp(name, "spanlog-flusher\n") == 0;
        std::fclose(f);
      }
    }
    ::closedir(d);
  }
  return n;
}

void* load(const char* path) {
  void* handle = ::dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    std::fprintf(stderr, "dlopen %s: %s\n", path, ::dlerror());
    std::exit(3);
  }
  return handle;
}

PluginFn entry(void* handle) {
  return reinterpret_cast<PluginFn>(::dlsym(handle, "plugin_work"));
}

int request(PluginFn plugin, int n) {
  SPANLOG_SPAN("app.request", "n", n);
  SPANLOG_COUNTER_ADD("app.calls", 1);
  return library_work(n) + (plugin ? plugin(n) : 0);
}

void print_flushers() {
  std::printf("flusher_threads %d\n", flusher_threads());
}

int trio(const char* plugin_path) {
  PluginFn plugin = entry(load(plugin_path));
  spanlog::start();
  int sum = request(plugin, 10);
  std::thread worker([&] { sum += request(plugin, 20); });
  worker.join();
  print_flushers();
  spanlog::stop();
  return sum == 0 ? 1 : 0;
}

int late(const char* plugin_path) {
  spanlog::start();
  int sum = request(nullptr, 5);
  PluginFn plugin = entry(load(plugin_path));
  sum += request(plugin, 30);
  std::thread worker([&] { sum += request(plugin, 40); });
  worker.join();
  print_flushers();
  spanlog::stop();
  return sum == 0 ? 1 : 0;
}

// A plugin's code runs on a worker that exits before dlclose: glibc keeps a plugin loaded while a thread
// that recorded through it lives (its thread_local destructors are pending), so only then is it unmapped.
int record_on_worker(PluginFn plugin, int spans) {
  int sum = 0;
  std::thread worker([&] {
    for (int i = 0; i < spans; ++i) sum += request(plugin, i % 8);
  });
  worker.join();
  return sum;
}

int unload(const char* plugin_path, const char* second_path) {
  spanlog::start();
  std::atomic<bool> done{false};
  std::thread busy([&] {  // records all along, in the executable only
    while (!done.load()) request(nullptr, 1);
  });
  void* first = load(plugin_path);
  int sum = record_on_worker(entry(first), unload_spans);
  ::dlclose(first);  // the worker's ring may still hold the plugin's records: the flush interval is long
  std::printf("unloaded %d\n", ::dlopen(plugin_path, RTLD_NOW | RTLD_NOLOAD) == nullptr ? 1 : 0);
  void* second = load(second_path);
  sum += record_on_worker(entry(second), unload_spans);
  done = true;
  busy.join();
  print_flushers();
  spanlog::stop();
  ::dlclose(second);
  return sum == 0 ? 1 : 0;
}

int other_abi(const char* plugin_path) {
  spanlog::start();
  int sum = request(nullptr, 3);
  PluginFn plugin = entry(load(plugin_path));
  sum += plugin(7);
  sum += request(plugin, 9);
  print_flushers();
  spanlog::stop();
  return sum == 0 ? 1 : 0;
}

// Every image has recorded on the forking thread before fork(): the child's records through each of them
// must go to the child's run, none into the parent's rings.
int fork_child(const char* plugin_path) {
  PluginFn plugin = entry(load(plugin_path));
  spanlog::start();
  int sum = request(plugin, 4);
  // The flusher idle when fork() copies the process: AddressSanitizer's allocator (GCC 12) takes no lock
  // around fork, so a child made while another thread allocates can inherit a held lock and hang.
  spanlog::flush();
  const pid_t child = ::fork();
  if (child == 0) {
    for (int i = 0; i < fork_child_requests; ++i) sum += request(plugin, i);
    spanlog::stop();
    ::_exit(sum == 0 ? 1 : 0);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  spanlog::stop();
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int crash_in_plugin(const char* plugin_path) {
  void* handle = load(plugin_path);
  PluginFn plugin = entry(handle);
  const auto crash = reinterpret_cast<PluginFn>(::dlsym(handle, "plugin_crash"));
  int sum = 0;
  for (int i = 0; i < 100; ++i) sum += request(plugin, i % 8);
  SPANLOG_SPAN("app.request", "n", sum);
  return crash(sum);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "trio" && argc == 3) return trio(argv[2]);
  if (mode == "late" && argc == 3) return late(argv[2]);
  if (mode == "unload" && argc == 4) return unload(argv[2], argv[3]);
  if (mode == "other_abi" && argc == 3) return other_abi(argv[2]);
  if (mode == "fork" && argc == 3) return fork_child(argv[2]);
  if (mode == "crash" && argc == 3) return crash_in_plugin(argv[2]);
  std::fprintf(stderr, "usage: app trio|late|other_abi|fork|crash PLUGIN, or app unload PLUGIN PLUGIN2\n");
  return 2;
}
