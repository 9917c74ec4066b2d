# bpf_object(NAME SOURCES... [HEADERS...]): compiles each *.bpf.c with clang -target bpf,
# links them into one object with `bpftool gen object`, generates NAME.skel.h with
# `bpftool gen skeleton`, and exports an INTERFACE target NAME_skel that adds its directory.
# -mcpu=v3 for the atomics that return a value (BPF_XCHG, 5.12+): clang 14 defaults to v1.

find_program(BPF_CLANG NAMES clang clang-16 clang-15 clang-14)
if(NOT BPF_CLANG)
  message(FATAL_ERROR "clang not found: apt-get install clang (or run scripts/install-deps.sh)")
endif()
execute_process(COMMAND ${BPF_CLANG} -dumpversion OUTPUT_VARIABLE BPF_CLANG_VERSION
                OUTPUT_STRIP_TRAILING_WHITESPACE)
if(BPF_CLANG_VERSION VERSION_LESS 12)
  message(FATAL_ERROR "clang ${BPF_CLANG_VERSION} is too old for CO-RE BPF: need 12 or later")
endif()

find_program(BPFTOOL NAMES bpftool PATHS /usr/sbin /sbin)
if(NOT BPFTOOL)
  message(FATAL_ERROR "bpftool not found: apt-get install bpftool (or run scripts/install-deps.sh)")
endif()

# clang's own system include dirs, passed with -idirafter so that the BPF target sees
# the host's <linux/types.h> and friends (the libbpf-bootstrap recipe).
execute_process(COMMAND ${BPF_CLANG} -v -E - INPUT_FILE /dev/null
                ERROR_VARIABLE _clang_verbose OUTPUT_QUIET)
string(REGEX MATCH "#include <...> search starts here:\n(.*)End of search list" _ "${_clang_verbose}")
string(REPLACE "\n" ";" _clang_dirs "${CMAKE_MATCH_1}")
set(BPF_SYSTEM_INCLUDES "")
foreach(dir IN LISTS _clang_dirs)
  string(STRIP "${dir}" dir)
  if(dir)
    list(APPEND BPF_SYSTEM_INCLUDES -idirafter ${dir})
  endif()
endforeach()

if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|amd64")
  set(BPF_ARCH x86)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
  set(BPF_ARCH arm64)
else()
  message(FATAL_ERROR "no vmlinux.h for ${CMAKE_SYSTEM_PROCESSOR}: run scripts/gen-vmlinux.sh")
endif()

function(bpf_object name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPENDS" ${ARGN})
  set(out_dir ${CMAKE_CURRENT_BINARY_DIR}/bpf)
  file(MAKE_DIRECTORY ${out_dir})
  set(objects "")
  foreach(src IN LISTS ARG_SOURCES)
    get_filename_component(stem ${src} NAME_WE)
    set(obj ${out_dir}/${stem}.bpf.o)
    add_custom_command(
      OUTPUT ${obj}
      COMMAND ${BPF_CLANG} -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_${BPF_ARCH}
              -Wall -Werror -Wno-unused-function
              -I${PROJECT_SOURCE_DIR}/vmlinux/${BPF_ARCH} -I${PROJECT_SOURCE_DIR}/include
              -I${PROJECT_SOURCE_DIR}/bpf ${BPF_SYSTEM_INCLUDES}
              -c ${src} -o ${obj}
      DEPENDS ${src} ${ARG_DEPENDS}
      COMMENT "BPF ${stem}.bpf.c"
      VERBATIM)
    list(APPEND objects ${obj})
  endforeach()
  set(linked ${out_dir}/${name}.bpf.o)
  set(skel ${out_dir}/${name}.skel.h)
  add_custom_command(
    OUTPUT ${linked} ${skel}
    COMMAND ${BPFTOOL} gen object ${linked} ${objects}
    COMMAND ${BPFTOOL} gen skeleton ${linked} name ${name} > ${skel}
    DEPENDS ${objects}
    COMMENT "BPF skeleton ${name}.skel.h"
    VERBATIM)
  add_custom_target(${name}_skel_gen DEPENDS ${skel})
  add_library(${name}_skel INTERFACE)
  target_include_directories(${name}_skel INTERFACE ${out_dir})
  add_dependencies(${name}_skel ${name}_skel_gen)
endfunction()
