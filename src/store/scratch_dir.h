#pragma once

// For tests: a fresh directory under the system's temporary directory, removed with everything
// in it when the object goes.

#include <unistd.h>

#include <filesystem>
#include <string>

#include "common/ids.h"

namespace hookd {

class ScratchDir final {
 public:
  explicit ScratchDir(const std::string& prefix)
      : path_(std::filesystem::temp_directory_path() /
              (prefix + "-" + std::to_string(getpid()) + "-" + new_id(""))) {
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace hookd
