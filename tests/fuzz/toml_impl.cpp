// toml++'s parser, compiled into fuzz_daemon_config with the fuzzer's
// instrumentation. Debian ships it as a shared library built without
// coverage counters or ASan: linked against that, libFuzzer would see none of
// the parser's branches and ASan none of its memory accesses. The
// definitions here take precedence over the library's.
#define TOML_IMPLEMENTATION
#include <toml++/toml.h>
