# cmake -DLIB=<libhoop.so> -DNM=<nm> -DREADELF=<readelf> -DSONAME=<expected> -P CheckExports.cmake
#
# The shared library exports only hoop_* symbols (the version script's
# promise) and carries the expected SONAME.
foreach(v LIB NM READELF SONAME)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "CheckExports.cmake: ${v} not set")
  endif()
endforeach()

execute_process(COMMAND ${NM} -D --defined-only ${LIB}
  OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "nm failed on ${LIB}")
endif()
string(REPLACE "\n" ";" lines "${out}")
set(count 0)
set(bad "")
foreach(line IN LISTS lines)
  # "<address> <type> <name>[@@version]"
  if(line MATCHES "^[0-9a-fA-F]+ +([A-Za-z]) +([^@ ]+)")
    set(type "${CMAKE_MATCH_1}")
    set(name "${CMAKE_MATCH_2}")
    # Absolute symbols (A) are the version nodes the linker adds (HOOP_0.1).
    if(type STREQUAL "A" AND name MATCHES "^HOOP_[0-9.]+$")
      continue()
    endif()
    if(name MATCHES "^hoop_")
      math(EXPR count "${count} + 1")
    elseif(NOT name MATCHES "^(_init|_fini|_edata|_end|__bss_start)$")
      string(APPEND bad "  ${line}\n")
    endif()
  endif()
endforeach()
if(NOT bad STREQUAL "")
  message(FATAL_ERROR "${LIB} exports symbols outside hoop_*:\n${bad}")
endif()
if(count EQUAL 0)
  message(FATAL_ERROR "${LIB} exports no hoop_* symbol at all")
endif()

execute_process(COMMAND ${READELF} -d ${LIB} OUTPUT_VARIABLE dyn RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT dyn MATCHES "\\(SONAME\\)[^\n]*\\[([^]\n]+)\\]")
  message(FATAL_ERROR "no SONAME in ${LIB}")
endif()
if(NOT CMAKE_MATCH_1 STREQUAL SONAME)
  message(FATAL_ERROR "SONAME is ${CMAKE_MATCH_1}, expected ${SONAME}")
endif()
message(STATUS "${count} hoop_* symbols exported, nothing else; SONAME ${SONAME}")
