# bpf_object(NAME SOURCE file.bpf.c DEPENDS headers...
#            [SKELETON SKEL] [OUTPUT_DIR DIR] [CFLAGS flags...])
#
# Compiles a BPF C program with clang against the UAPI headers, generates a
# libbpf skeleton `SKEL.skel.h` (SKEL defaults to NAME; its functions are
# SKEL_bpf__*) with bpftool in DIR (default the build's bpf/), and exposes
# it as the INTERFACE library `NAME_skel`. Every header the program includes
# is listed in DEPENDS so that an ABI edit rebuilds the object and the
# skeleton. CFLAGS are added to clang's; the product is built without any
# (tests use them to make a program that differs only in its bytecode).
function(bpf_object name)
  cmake_parse_arguments(BPF "" "SOURCE;SKELETON;OUTPUT_DIR" "DEPENDS;CFLAGS" ${ARGN})
  if(NOT BPF_SKELETON)
    set(BPF_SKELETON ${name})
  endif()
  if(NOT BPF_OUTPUT_DIR)
    set(BPF_OUTPUT_DIR ${CMAKE_BINARY_DIR}/bpf)
  endif()
  set(out_dir ${BPF_OUTPUT_DIR})
  set(obj ${out_dir}/${BPF_SKELETON}.bpf.o)
  set(skel ${out_dir}/${BPF_SKELETON}.skel.h)
  execute_process(COMMAND uname -m OUTPUT_VARIABLE arch
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  add_custom_command(
    OUTPUT ${obj}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${out_dir}
    COMMAND ${CLANG_BPF} -O2 -g -target bpf -Wall -Wextra -Werror ${BPF_CFLAGS}
            -I${CMAKE_SOURCE_DIR}/include -I${CMAKE_SOURCE_DIR}/bpf
            -idirafter /usr/include/${arch}-linux-gnu
            -c ${BPF_SOURCE} -o ${obj}
    DEPENDS ${BPF_SOURCE} ${BPF_DEPENDS}
    COMMENT "BPF ${name}: clang -target bpf ${BPF_CFLAGS}")
  add_custom_command(
    OUTPUT ${skel}
    COMMAND ${BPFTOOL} gen skeleton ${obj} name ${BPF_SKELETON}_bpf > ${skel}
    DEPENDS ${obj}
    COMMENT "BPF ${name}: bpftool gen skeleton")
  add_custom_target(${name}_skel_gen DEPENDS ${skel})
  add_library(${name}_skel INTERFACE)
  add_dependencies(${name}_skel ${name}_skel_gen)
  target_include_directories(${name}_skel INTERFACE ${out_dir})
endfunction()
