# check_install.cmake — run by ctest as `cmake -D... -P check_install.cmake`
# (tests/install/CMakeLists.txt passes BUILD_DIR, WORK_DIR, API_DOC, CC,
# PKG_CONFIG, NM, EXPECTED_VERSION).  Each step stops the test with a
# message naming what failed and the output of the failing command.
cmake_minimum_required(VERSION 3.20)

function(step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc
                  OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${ARGN}\n${out}\n${err}")
  endif()
  set(step_out "${out}" PARENT_SCOPE)
endfunction()

set(prefix ${WORK_DIR}/prefix)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

# 1. Install, as a user would.
step("cmake --install" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
foreach(f lib/libclmseg.so lib/libclmseg.a lib/pkgconfig/clmseg.pc
          include/clmseg/clmseg.h include/clmseg/export.h include/clmseg/version.h)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "not installed: ${prefix}/${f}")
  endif()
endforeach()

# 2. pkg-config on the installed .pc only.
set(pc ${CMAKE_COMMAND} -E env PKG_CONFIG_PATH=${prefix}/lib/pkgconfig ${PKG_CONFIG})
step("pkg-config --modversion" ${pc} --modversion clmseg)
string(STRIP "${step_out}" version)
if(NOT version STREQUAL EXPECTED_VERSION)
  message(FATAL_ERROR "clmseg.pc says version '${version}', the project is ${EXPECTED_VERSION}")
endif()
step("pkg-config --cflags" ${pc} --cflags clmseg)
separate_arguments(cflags UNIX_COMMAND "${step_out}")
step("pkg-config --libs" ${pc} --libs clmseg)
separate_arguments(libs UNIX_COMMAND "${step_out}")

# 3. Every public header compiles alone with the installed flags only (no
#    hdf5.h, cblas.h or omp.h folder on the include path).
file(GLOB headers RELATIVE ${prefix}/include ${prefix}/include/clmseg/*.h)
foreach(h ${headers})
  string(MAKE_C_IDENTIFIER ${h} id)
  file(WRITE ${WORK_DIR}/hdr_${id}.c "#include <${h}>\nint clm_header_check_${id};\n")
  step("header ${h} alone" ${CC} -std=c11 -Wall -Wextra -pedantic -Werror
       ${cflags} -fsyntax-only ${WORK_DIR}/hdr_${id}.c)
endforeach()

# 4. The first ```c block of docs/api.md, compiled and run.
file(READ ${API_DOC} doc)
string(FIND "${doc}" "```c\n" begin)
if(begin EQUAL -1)
  message(FATAL_ERROR "${API_DOC}: no ```c block")
endif()
math(EXPR begin "${begin} + 5")
string(SUBSTRING "${doc}" ${begin} -1 rest)
string(FIND "${rest}" "\n```" end)
if(end EQUAL -1)
  message(FATAL_ERROR "${API_DOC}: the first ```c block is not closed")
endif()
string(SUBSTRING "${rest}" 0 ${end} example)
file(WRITE ${WORK_DIR}/example.c "${example}\n")
step("compiling the example of ${API_DOC}"
     ${CC} -std=c11 -Wall -Wextra ${WORK_DIR}/example.c ${cflags} ${libs}
     -Wl,-rpath=${prefix}/lib -o ${WORK_DIR}/example)
step("readelf of the example" readelf -d ${WORK_DIR}/example)
if(NOT step_out MATCHES "NEEDED[^\n]*libclmseg\\.so")
  message(FATAL_ERROR "the example is not linked against the shared libclmseg:\n${step_out}")
endif()
step("running the example" ${CMAKE_COMMAND} -E env OMP_NUM_THREADS=2 ${WORK_DIR}/example ${WORK_DIR})
set(output "${step_out}")
message(STATUS "example output:\n${output}")
if(NOT output MATCHES "inertia[^0-9\n]*([0-9][0-9.eE+-]*)")
  message(FATAL_ERROR "the example printed no inertia:\n${output}")
endif()
set(inertia ${CMAKE_MATCH_1})
if(NOT output MATCHES "AUC[^0-9\n]*([0-9][0-9.eE+-]*)")
  message(FATAL_ERROR "the example printed no AUC:\n${output}")
endif()
set(auc ${CMAKE_MATCH_1})
if(NOT inertia GREATER 0)
  message(FATAL_ERROR "implausible inertia ${inertia}")
endif()
if(NOT (auc GREATER 0.5 AND auc LESS_EQUAL 1))
  message(FATAL_ERROR "implausible AUC ${auc} (expected in (0.5, 1])")
endif()

# 5. The shared library exports the clm_ API only (kernels clm_k_* stay
#    hidden).  Ignored: _init/_fini, linker symbols, and the
#    .gomp_critical_user_<name> locks that GCC makes global for every named
#    `omp critical`.
step("nm -D" ${NM} -D --defined-only ${prefix}/lib/libclmseg.so)
string(REPLACE "\n" ";" lines "${step_out}")
set(bad)
set(n_api 0)
foreach(line ${lines})
  if(NOT line MATCHES "([^ ]+)$")
    continue()
  endif()
  set(sym ${CMAKE_MATCH_1})
  if(sym MATCHES "^(_init|_fini|_edata|_end|__bss_start|\\.gomp_critical_user_.*)$")
    continue()
  endif()
  if(sym MATCHES "^clm_k_" OR NOT sym MATCHES "^clm_")
    list(APPEND bad ${sym})
  else()
    math(EXPR n_api "${n_api} + 1")
  endif()
endforeach()
if(bad)
  list(JOIN bad "\n  " bad)
  message(FATAL_ERROR "libclmseg.so exports symbols outside the clm_ API:\n  ${bad}")
endif()
if(n_api LESS 10)
  message(FATAL_ERROR "libclmseg.so exports only ${n_api} clm_ symbols")
endif()
message(STATUS "installed library: ${n_api} clm_ symbols exported, inertia ${inertia}, AUC ${auc}")
