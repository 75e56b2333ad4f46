# bpf_object(NAME SOURCE file.bpf.c DEPENDS headers...)
#
# Compiles a BPF C program with clang against the UAPI headers, generates a
# libbpf skeleton `NAME.skel.h` with bpftool, and exposes it as the INTERFACE
# library `NAME_skel`. Every header the program includes is listed in DEPENDS
# so that an ABI edit rebuilds the object and the skeleton.
function(bpf_object name)
  cmake_parse_arguments(BPF "" "SOURCE" "DEPENDS" ${ARGN})
  set(out_dir ${CMAKE_BINARY_DIR}/bpf)
  set(obj ${out_dir}/${name}.bpf.o)
  set(skel ${out_dir}/${name}.skel.h)
  execute_process(COMMAND uname -m OUTPUT_VARIABLE arch
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  add_custom_command(
    OUTPUT ${obj}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${out_dir}
    COMMAND ${CLANG_BPF} -O2 -g -target bpf -Wall -Wextra -Werror
            -I${CMAKE_SOURCE_DIR}/include -I${CMAKE_SOURCE_DIR}/bpf
            -idirafter /usr/include/${arch}-linux-gnu
            -c ${BPF_SOURCE} -o ${obj}
    DEPENDS ${BPF_SOURCE} ${BPF_DEPENDS}
    COMMENT "BPF ${name}: clang -target bpf")
  add_custom_command(
    OUTPUT ${skel}
    COMMAND ${BPFTOOL} gen skeleton ${obj} name ${name}_bpf > ${skel}
    DEPENDS ${obj}
    COMMENT "BPF ${name}: bpftool gen skeleton")
  add_custom_target(${name}_skel_gen DEPENDS ${skel})
  add_library(${name}_skel INTERFACE)
  add_dependencies(${name}_skel ${name}_skel_gen)
  target_include_directories(${name}_skel INTERFACE ${out_dir})
endfunction()
