// A command's arguments that name nothing it can do; commands exit with status 2.
#pragma once

#include <stdexcept>

namespace spanlog::cli {

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace spanlog::cli
