# Sanitizer and fuzzing builds.
#
# XDPGUARD_SANITIZE: the whole C++ build (library, CLI, tests) with AddressSanitizer
#   (LeakSanitizer included) and UndefinedBehaviorSanitizer; any report aborts.
#   gcc or clang. tools/test.sh runs the suite this way in CI (build-asan/).
# XDPGUARD_FUZZ: the libFuzzer targets of tests/fuzz, each linked against a copy
#   of xdpguard_core compiled with the same instrumentation; the rest of the
#   build stays as it is. clang only (CC=clang CXX=clang++); see tools/fuzz.sh.
# Without XDPGUARD_FUZZ the same targets are built with a corpus-replay main,
# so every corpus input (crash regressions included) is a CTest test.
option(XDPGUARD_SANITIZE "Build everything with ASan+UBSan (LeakSanitizer on)" OFF)
option(XDPGUARD_FUZZ "Build the libFuzzer targets in tests/fuzz (clang only)" OFF)

# -O1 and line tables only, after the build type's -O2 -g (the later flag
# wins): the ASan documentation's advice for reports that point at the right
# line, and objects half the size that compile in 40-70% of the time (clang
# 14, daemon.cpp and daemon_config.cpp): the sanitized CI pass is built from
# scratch on every run.
set(XDPGUARD_SANITIZER_FLAGS
  -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all -O1 -g1)

if(XDPGUARD_SANITIZE)
  add_compile_options(${XDPGUARD_SANITIZER_FLAGS})
  add_link_options(-fsanitize=address,undefined)
  # The GCC manual: "sanitizers tend to increase the rate of false positive
  # warnings, most notably those around -Wmaybe-uninitialized" (GCC 12's
  # <regex> trips it dozens of times); the normal build keeps checking it.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    add_compile_options(-Wno-maybe-uninitialized)
  endif()
endif()

if(XDPGUARD_FUZZ AND NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "XDPGUARD_FUZZ needs clang for libFuzzer: "
                      "configure with CC=clang CXX=clang++ (tools/fuzz.sh does)")
endif()

# xdpguard_instrumented_copy(NEW ORIGINAL FLAGS...)
#
# A static library built from ORIGINAL's sources, include directories,
# definitions and link libraries, compiled with FLAGS. Static, so that a fuzz
# target links only the objects it reaches; derived, so that a source added
# to ORIGINAL is fuzzed without a second list to keep in step.
function(xdpguard_instrumented_copy new original)
  get_target_property(sources ${original} SOURCES)
  get_target_property(source_dir ${original} SOURCE_DIR)
  list(TRANSFORM sources PREPEND ${source_dir}/)
  add_library(${new} STATIC ${sources})
  target_include_directories(${new} PUBLIC
    $<TARGET_PROPERTY:${original},INCLUDE_DIRECTORIES>)
  target_compile_definitions(${new} PUBLIC
    $<TARGET_PROPERTY:${original},COMPILE_DEFINITIONS>)
  target_compile_options(${new} PRIVATE
    $<TARGET_PROPERTY:${original},COMPILE_OPTIONS> ${ARGN})
  get_target_property(libraries ${original} LINK_LIBRARIES)
  target_link_libraries(${new} PUBLIC ${libraries})
endfunction()
