# cmake -DMODE=<mode> -DHEADERS=<include/hoop> -DNM=<nm> [...] -P CheckExports.cmake
#
# "Private is private": what each build of the core lets a program see.
# The documented API is the set of functions declared HOOP_API in
# include/hoop/*.h (read from the headers here, comments and #define lines
# left out). Internal functions shared between core files are hoop__*
# (double underscore) or static; nothing else may be a global symbol.
#
#   MODE=shared  -DLIB=libhoop.so -DREADELF=<readelf> -DSONAME=<expected>
#       The dynamic symbols are exactly the HOOP_API functions, each with a
#       HOOP_x.y version (core/hoop.map), and the SONAME is as expected.
#   MODE=static  -DLIB=libhoop.a
#       Every global defined symbol is a HOOP_API function or hoop__*, and
#       every HOOP_API function is defined.
#   MODE=module  -DLIB=<python extension .so, or a glob for one>
#       The dynamic symbols are HOOP_API functions, hoop__*, and PyInit_*.
#   MODE=go      -DWORK=<scratch dir> and either -DGO_ARCHIVE=<archive of
#                `go build -o x.a ./go`> or -DGO=<go> -DSRC=<source tree>
#                (the archive is built here, through tests/run_go.sh)
#       The C objects cgo compiled into the Go package (every member but
#       _go_.o and __.PKGDEF) define as globals only HOOP_API functions,
#       hoop__* and cgo's own _cgo_* wrappers.
cmake_minimum_required(VERSION 3.20)

foreach(v MODE HEADERS NM)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "CheckExports.cmake: ${v} not set")
  endif()
endforeach()

# --- the documented API, from the headers ---
file(GLOB _hdrs ${HEADERS}/*.h)
set(api "")
foreach(h IN LISTS _hdrs)
  file(READ ${h} text)
  # Drop /* ... */ comments, // comments and preprocessor lines (the
  # definition of HOOP_API itself), then take the name before the first
  # "(" of each HOOP_API declaration.
  string(REGEX REPLACE "/\\*([^*]|\\*+[^*/])*\\*+/" " " text "${text}")
  string(REGEX REPLACE "//[^\n]*" "" text "${text}")
  string(REGEX REPLACE "(^|\n)[ \t]*#[^\n]*" "\n" text "${text}")
  string(REGEX MATCHALL "HOOP_API[^;{}(]*[^A-Za-z0-9_(]([A-Za-z_][A-Za-z0-9_]*)[ \t\n]*\\("
         decls "${text}")
  foreach(d IN LISTS decls)
    string(REGEX REPLACE ".*[^A-Za-z0-9_]([A-Za-z_][A-Za-z0-9_]*)[ \t\n]*\\($" "\\1" name "${d}")
    list(APPEND api ${name})
  endforeach()
endforeach()
list(REMOVE_DUPLICATES api)
list(LENGTH api napi)
if(napi LESS 10)
  message(FATAL_ERROR "found only ${napi} HOOP_API declarations in ${HEADERS}")
endif()
foreach(name IN LISTS api)
  if(NOT name MATCHES "^hoop_[a-z0-9]" OR name MATCHES "^hoop__")
    message(FATAL_ERROR "HOOP_API declaration ${name} is not named hoop_<name>")
  endif()
endforeach()

# run_nm(<out-var> <args>...): "<type> <name>" lines of nm's output.
function(run_nm out)
  execute_process(COMMAND ${NM} ${ARGN} OUTPUT_VARIABLE o ERROR_VARIABLE e
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${NM} ${ARGN} failed: ${e}")
  endif()
  string(REPLACE "\n" ";" lines "${o}")
  set(r "")
  foreach(line IN LISTS lines)
    # "<address> <type> <name>[@[@]version]"; archives add "member.o:" lines.
    if(line MATCHES "^[0-9a-fA-F]* +([A-Za-z]) +([^ ]+)$")
      list(APPEND r "${CMAKE_MATCH_1} ${CMAKE_MATCH_2}")
    endif()
  endforeach()
  set(${out} "${r}" PARENT_SCOPE)
endfunction()

# check_globals(<what> <extra-allowed-regex> <syms>...): every defined
# global is a HOOP_API function, hoop__* or matches the extra regex.
function(check_globals what extra)
  set(bad "")
  set(seen "")
  foreach(s IN LISTS ARGN)
    string(REGEX REPLACE "^[A-Za-z] " "" name "${s}")
    # Symbol versions (hoop_engine_get_metrics@HOOP_0.1) and AddressSanitizer's
    # ODR indicators (__odr_asan.<global>) name a symbol already checked.
    string(REGEX REPLACE "@.*" "" name "${name}")
    string(REGEX REPLACE "^__odr_asan[.]" "" name "${name}")
    if(name IN_LIST api)
      list(APPEND seen ${name})
    elseif(name MATCHES "^hoop__[A-Za-z0-9]")
    elseif(NOT extra STREQUAL "" AND name MATCHES "${extra}")
    else()
      string(APPEND bad "  ${s}\n")
    endif()
  endforeach()
  if(NOT bad STREQUAL "")
    message(FATAL_ERROR "${what}: globals that are neither HOOP_API "
      "functions of include/hoop/*.h nor hoop__* internals (make them static, "
      "rename them hoop__*, or declare them HOOP_API in a public header):\n${bad}")
  endif()
  list(REMOVE_DUPLICATES seen)
  set(seen "${seen}" PARENT_SCOPE)
endfunction()

set(_std_syms "^(_init|_fini|_edata|_end|__bss_start)$")

if(MODE STREQUAL "shared")
  foreach(v LIB READELF SONAME)
    if(NOT DEFINED ${v})
      message(FATAL_ERROR "CheckExports.cmake: ${v} not set")
    endif()
  endforeach()
  run_nm(syms -D --defined-only ${LIB})
  set(exported "")
  set(bad "")
  foreach(s IN LISTS syms)
    string(REGEX REPLACE "^([A-Za-z]) (.*)$" "\\1" type "${s}")
    string(REGEX REPLACE "^([A-Za-z]) (.*)$" "\\2" full "${s}")
    # Absolute symbols (A) are the version nodes the linker adds (HOOP_0.1).
    if(type STREQUAL "A" AND full MATCHES "^HOOP_[0-9.]+$")
      continue()
    endif()
    if(full MATCHES "${_std_syms}")
      continue()
    endif()
    if(NOT full MATCHES "^([^@]+)@@?HOOP_[0-9]+[.][0-9]+$")
      string(APPEND bad "  ${s} (no HOOP_x.y version: missing from core/hoop.map?)\n")
      continue()
    endif()
    set(name "${CMAKE_MATCH_1}")
    if(NOT name IN_LIST api)
      string(APPEND bad "  ${s} (not declared HOOP_API in include/hoop/*.h)\n")
    endif()
    list(APPEND exported ${name})
  endforeach()
  set(missing "")
  foreach(name IN LISTS api)
    if(NOT name IN_LIST exported)
      string(APPEND missing "  ${name}\n")
    endif()
  endforeach()
  if(NOT bad STREQUAL "")
    message(FATAL_ERROR "${LIB} exports what is not the documented API:\n${bad}")
  endif()
  if(NOT missing STREQUAL "")
    message(FATAL_ERROR "${LIB} does not export these HOOP_API functions "
      "(add them to the newest node of core/hoop.map):\n${missing}")
  endif()
  execute_process(COMMAND ${READELF} -d ${LIB} OUTPUT_VARIABLE dyn RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0 OR NOT dyn MATCHES "\\(SONAME\\)[^\n]*\\[([^]\n]+)\\]")
    message(FATAL_ERROR "no SONAME in ${LIB}")
  endif()
  if(NOT CMAKE_MATCH_1 STREQUAL SONAME)
    message(FATAL_ERROR "SONAME is ${CMAKE_MATCH_1}, expected ${SONAME}")
  endif()
  message(STATUS "${LIB}: exports the ${napi} HOOP_API functions and nothing else; SONAME ${SONAME}")

elseif(MODE STREQUAL "static")
  run_nm(syms -g --defined-only ${LIB})
  check_globals("${LIB}" "" ${syms})
  set(missing "")
  foreach(name IN LISTS api)
    if(NOT name IN_LIST seen)
      string(APPEND missing "  ${name}\n")
    endif()
  endforeach()
  if(NOT missing STREQUAL "")
    message(FATAL_ERROR "${LIB} does not define these HOOP_API functions:\n${missing}")
  endif()
  list(LENGTH syms n)
  message(STATUS "${LIB}: ${n} global symbols, all HOOP_API or hoop__*")

elseif(MODE STREQUAL "module")
  file(GLOB libs ${LIB})
  list(LENGTH libs n)
  if(NOT n EQUAL 1)
    message(FATAL_ERROR "expected one module matching ${LIB}, found: ${libs}")
  endif()
  set(LIB ${libs})
  run_nm(syms -D --defined-only ${LIB})
  check_globals("${LIB}" "^PyInit_|${_std_syms}" ${syms})
  list(LENGTH syms n)
  message(STATUS "${LIB}: ${n} exported symbols, all HOOP_API, hoop__* or PyInit_*")

elseif(MODE STREQUAL "go")
  if(NOT DEFINED WORK)
    message(FATAL_ERROR "CheckExports.cmake: WORK not set")
  endif()
  file(REMOVE_RECURSE ${WORK})
  file(MAKE_DIRECTORY ${WORK}/objs)
  if(NOT DEFINED GO_ARCHIVE)
    if(NOT DEFINED GO OR NOT DEFINED SRC)
      message(FATAL_ERROR "CheckExports.cmake: GO_ARCHIVE, or GO and SRC, not set")
    endif()
    set(GO_ARCHIVE ${WORK}/hoop.a)
    execute_process(COMMAND sh ${SRC}/tests/run_go.sh ${SRC} ${GO} build -o ${GO_ARCHIVE} ./go
                    WORKING_DIRECTORY ${SRC} RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "go build of the package failed")
    endif()
  endif()
  file(ARCHIVE_EXTRACT INPUT ${GO_ARCHIVE} DESTINATION ${WORK}/objs)
  file(GLOB members ${WORK}/objs/*)
  list(FILTER members EXCLUDE REGEX "/(_go_[.]o|__[.]PKGDEF)$")
  list(LENGTH members nmem)
  if(nmem LESS 2)
    message(FATAL_ERROR "${GO_ARCHIVE} holds no C objects (is cgo on?)")
  endif()
  run_nm(syms -g --defined-only ${members})
  check_globals("The C objects of the Go package (${GO_ARCHIVE})" "^_cgo_" ${syms})
  # The core is in there: hoop_engine_create at least.
  if(NOT "hoop_engine_create" IN_LIST seen)
    message(FATAL_ERROR "the Go package's C objects do not define hoop_engine_create")
  endif()
  list(LENGTH syms n)
  message(STATUS "Go package: ${nmem} C objects, ${n} globals, all HOOP_API, hoop__* or _cgo_*")

else()
  message(FATAL_ERROR "CheckExports.cmake: unknown MODE ${MODE}")
endif()
