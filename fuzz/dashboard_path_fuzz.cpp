// Fuzzes the dashboard's request paths (src/dashboard/assets.h): any method and path under /ui/
// gets an answer, a file is served only under a name that passes safe_file_name, and the answers
// are the ones the rules allow.
#include <cstdint>
#include <string>
#include <string_view>

#include "dashboard/assets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const hookd::dashboard::Assets assets;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto split = input.find('\n');
  const std::string_view method = split == std::string_view::npos ? "GET" : input.substr(0, split);
  const std::string path =
      "/ui/" + std::string(split == std::string_view::npos ? input : input.substr(split + 1));
  const hookd::dashboard::Reply reply = assets.serve(method, path);
  const int s = reply.status;
  if (s != 200 && s != 308 && s != 404 && s != 405) __builtin_trap();
  constexpr std::string_view kFiles = "/ui/v/";
  if (s == 200 && path.starts_with(kFiles)) {  // a file, never the shell
    const std::string_view rest = std::string_view(path).substr(kFiles.size());
    const std::string_view name = rest.substr(rest.find('/') + 1);
    if (!hookd::dashboard::safe_file_name(name)) __builtin_trap();
  }
  (void)hookd::dashboard::content_type_of(path);
  return 0;
}
