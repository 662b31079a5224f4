// A run's identity as its header line gives it, copied into each view of a run that keeps one (the
// summary's RunInfo, the exporters' RunContext), so that a field added to the header reaches them all.
#pragma once

#include "records.hpp"

namespace spanlog::reader {

template <class RunView>
void copy_run_identity(const HeaderRecord& header, RunView& into) {
  into.has_header = true;
  into.run_id = header.run_id;
  into.process = header.process;
  into.host = header.host;
  into.version = header.version;
  into.pid = header.pid;
  into.start_ts = header.start_ts;
}

}  // namespace spanlog::reader
