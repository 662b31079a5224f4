// One session per process, however many executables, shared libraries and plugins carry spanlog, whatever
// their symbol visibility and however they were loaded. Each image (the executable, each shared library,
// each plugin) compiles the implementation once and keeps its symbols to itself; at run time the images
// find each other through an ELF note that every image carries, and the first to record holds the session
// (the hub). The others reach it through a table of the hub's slow paths, and their rings, counter slots and
// flags are the hub's.
//
// The note holds the offset from itself to the image's hub slot (resolved at link time, so nothing is
// relocated at load) and the build's ABI: copies of another spanlog version never share a session, and never
// crash each other: the second one records a run of its own and says so. The choice is made while the dynamic
// loader's lock is held (dl_iterate_phdr holds it for the whole walk), so two images cannot both become the
// hub.
#pragma once
#include <dlfcn.h>
#include <link.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

#include "../config.hpp"
#include "../detail/recorder.hpp"
#include "../macros.hpp"
#include "../options.hpp"
#include "counter_sites.hpp"
#include "image_registry.hpp"
#include "metric_info_registry.hpp"
#include "session.hpp"
#include "stats_sites.hpp"
#include "thread_rings.hpp"

#define SPANLOG_STRINGIFY_(x) #x
#define SPANLOG_STRINGIFY(x) SPANLOG_STRINGIFY_(x)
// What two images must agree on to share a session: the version, the record layout, and the standard
// library's string layout (options cross between images).
#define SPANLOG_HUB_ABI  \
  SPANLOG_VERSION_STRING \
  " " SPANLOG_STRINGIFY(SPANLOG_ABI_NAMESPACE) " cxx11abi=" SPANLOG_STRINGIFY(_GLIBCXX_USE_CXX11_ABI)
#define SPANLOG_HUB_SLOT SPANLOG_CAT(spanlog_hub_slot_, SPANLOG_ABI_NAMESPACE)

SPANLOG_BEGIN_NAMESPACE
namespace detail {

// The hub's slow paths, as every image of the same ABI calls them.
struct ProcessHub {
  ThreadBuffer* (*acquire_thread_ring)();
  void (*release_thread_ring)(ThreadBuffer*);
  void (*start_default_session)();
  bool (*make_room)(ThreadBuffer&, std::uint64_t);
  std::uint32_t (*counter_slot_for)(const Site&, CounterSlot&);
  StatsCell* (*stats_cell_for)(ThreadBuffer&, const Site&, StatsSlot&);
  void (*declare_metric_info)(const char*, std::string_view, std::string_view);
  bool (*start)(const Options*);
  void (*flush)();
  void (*stop)();
  std::string (*run_directory)();
  void (*add_image)(ImageLink*);
  void (*remove_image)(ImageLink*);
  void (*forget_image)(std::uintptr_t, std::uintptr_t);
};

inline constexpr ProcessHub this_image_hub{&acquire_thread_ring,
                                           &release_thread_ring,
                                           &start_default_session,
                                           &make_room_in,
                                           &give_counter_slot,
                                           &make_stats_cell,
                                           &declare_metric_info_here,
                                           &start_run,
                                           &flush_run,
                                           &stop_run,
                                           &current_run_directory,
                                           &add_image,
                                           &remove_image,
                                           &forget_image};

}  // namespace detail
SPANLOG_END_NAMESPACE

// The hub this image uses (its own table when it holds the session); found by the other images through the
// note below. C linkage, for the note to name it; hidden, so that each image has its own.
extern "C" {
SPANLOG_IMAGE_LOCAL __attribute__((used)) std::atomic<const spanlog::detail::ProcessHub*> SPANLOG_HUB_SLOT{
    nullptr};
}

#if defined(__ELF__)
__asm__(".pushsection .note.spanlog,\"a\",%note\n"
        ".balign 4\n"
        ".long 8\n"  // the name's size: "spanlog" and its NUL
        ".long 2f - 1f\n"
        ".long 0x53504c47\n"
        ".asciz \"spanlog\"\n"
        "1: .long " SPANLOG_STRINGIFY(SPANLOG_HUB_SLOT) " - .\n"
        ".asciz \"" SPANLOG_HUB_ABI "\"\n"
        ".balign 4\n"
        "2:\n"
        ".popsection\n");
#endif

SPANLOG_BEGIN_NAMESPACE
namespace detail {

constexpr std::uint32_t hub_note_type = 0x53504c47;

// This image: its flags, for the hub to keep in step, and where it is mapped.
inline ImageLink g_this_image{&g_flags, &g_sample_threshold, &g_log_level};

struct HubSearch {
  const ProcessHub* found = nullptr;
  const char* other_abi = nullptr;  // a copy of another spanlog build that records in this process
  const char* own_path = nullptr;   // empty for the main program
  bool chose_here = false;          // this call joined a hub or became it (not another thread of the image)
};

inline std::uint32_t read_u32(const char* p) {
  std::uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline void note_own_range(const dl_phdr_info& info) {
  std::uintptr_t begin = ~std::uintptr_t{0}, end = 0;
  for (int i = 0; i < info.dlpi_phnum; ++i) {
    const auto& ph = info.dlpi_phdr[i];
    if (ph.p_type != PT_LOAD) continue;
    begin = std::min<std::uintptr_t>(begin, info.dlpi_addr + ph.p_vaddr);
    end = std::max<std::uintptr_t>(end, info.dlpi_addr + ph.p_vaddr + ph.p_memsz);
  }
  g_this_image.begin = begin;
  g_this_image.end = end;
}

// Reads the spanlog notes of one loaded image.
inline int look_at_image(dl_phdr_info* info, std::size_t, void* data) {
  auto& search = *static_cast<HubSearch*>(data);
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const auto& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_NOTE) continue;
    const char* p = reinterpret_cast<const char*>(info->dlpi_addr + ph.p_vaddr);
    const char* const end = p + ph.p_memsz;
    while (p + 12 <= end) {
      const std::uint32_t name_size = read_u32(p), desc_size = read_u32(p + 4), type = read_u32(p + 8);
      const char* name = p + 12;
      const char* desc = name + ((name_size + 3) & ~3u);
      p = desc + ((desc_size + 3) & ~3u);
      if (p > end) break;
      if (type != hub_note_type || name_size != 8 || std::memcmp(name, "spanlog", 8) != 0 || desc_size < 5)
        continue;
      const auto offset = static_cast<std::int32_t>(read_u32(desc));
      const auto* slot = reinterpret_cast<const std::atomic<const ProcessHub*>*>(desc + offset);
      if (slot == &SPANLOG_HUB_SLOT) {
        note_own_range(*info);
        search.own_path = info->dlpi_name;
        continue;
      }
      const ProcessHub* hub = slot->load(std::memory_order_acquire);
      if (!hub) continue;
      if (std::strcmp(desc + 4, SPANLOG_HUB_ABI) == 0) {
        if (!search.found) search.found = hub;
      } else {
        search.other_abi = desc + 4;
      }
    }
  }
  return 0;
}

// Called once by dl_iterate_phdr, whose lock is held throughout: walks every image (the lock is recursive),
// then joins the hub found or becomes it.
inline int choose_hub_under_loader_lock(dl_phdr_info*, std::size_t, void* data) {
  auto& search = *static_cast<HubSearch*>(data);
  if ((search.found = SPANLOG_HUB_SLOT.load(std::memory_order_acquire))) return 1;  // another thread chose
  ::dl_iterate_phdr(look_at_image, &search);
  const ProcessHub* hub = search.found ? search.found : &this_image_hub;
  hub->add_image(&g_this_image);
  SPANLOG_HUB_SLOT.store(hub, std::memory_order_release);
  search.chose_here = true;
  return 1;
}

// Clears what this image's thread-locals hold for the forking thread: the child's first record starts over.
inline void image_after_fork_in_child();

// This image holds the session from now on.
inline void settle_as_hub(const HubSearch& search) {
  if (search.other_abi)
    std::fprintf(stderr,
                 "spanlog: another spanlog build (%s) records in this process; this one (%s) writes a run "
                 "of its own\n",
                 search.other_abi, SPANLOG_HUB_ABI);
  // A plugin that holds the session stays loaded: the flusher's code and the session are in it.
  if (search.own_path && *search.own_path) ::dlopen(search.own_path, RTLD_LAZY | RTLD_NOLOAD | RTLD_NODELETE);
}

inline const ProcessHub& find_or_become_hub() {
  HubSearch search;
  ::dl_iterate_phdr(choose_hub_under_loader_lock, &search);
  const ProcessHub* hub = SPANLOG_HUB_SLOT.load(std::memory_order_acquire);
  if (!hub) {  // no image was walked: a program without a dynamic loader
    hub = &this_image_hub;
    hub->add_image(&g_this_image);
    SPANLOG_HUB_SLOT.store(hub, std::memory_order_release);
    search.chose_here = true;
  }
  if (!search.chose_here) return *hub;  // another thread of this image chose first
  // Each image clears its own thread-locals in a forked child, whichever image holds the session.
  ::pthread_atfork(nullptr, nullptr, image_after_fork_in_child);
  if (hub == &this_image_hub) settle_as_hub(search);
  return *hub;
}

inline const ProcessHub& hub() {
  if (const ProcessHub* h = SPANLOG_HUB_SLOT.load(std::memory_order_acquire)) return *h;
  return find_or_become_hub();
}

// This image's hold on its thread's ring, let go as the thread exits.
struct ThreadExitGuard {
  ThreadBuffer* buffer = nullptr;
  ~ThreadExitGuard() {
    tl_thread_exiting = true;
    tl_buffer = nullptr;
    if (buffer) hub().release_thread_ring(buffer);
  }
};
inline thread_local ThreadExitGuard tl_exit_guard;
inline thread_local ThreadExitGuard tl_late_exit_guard;  // destructors that record after the first ran

inline void image_after_fork_in_child() {
  tl_buffer = nullptr;
  tl_exit_guard.buffer = nullptr;
}

// Unloading an image (dlclose) that recorded into another image's session: everything it recorded is written
// first, and no name the session keeps points into it afterwards. The image that holds the session is never
// unloaded (see find_or_become_hub). Defined once, with the rest of the implementation.
struct ImageUnloadGuard {
  ~ImageUnloadGuard() {
    const ProcessHub* h = SPANLOG_HUB_SLOT.load(std::memory_order_acquire);
    if (!h || h == &this_image_hub) return;
    h->remove_image(&g_this_image);
    h->forget_image(g_this_image.begin, g_this_image.end);
  }
};
ImageUnloadGuard g_image_unload_guard;

}  // namespace detail
SPANLOG_END_NAMESPACE
