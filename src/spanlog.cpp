// The implementation compiled once, as the build's spanlog library (meson's dependency('spanlog'), CMake's
// spanlog::spanlog, pkg-config's spanlog): programs that link it define nothing themselves.
#define SPANLOG_IMPLEMENTATION
#include <spanlog/spanlog.hpp>
