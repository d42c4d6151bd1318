# Registers one CTest entry per Boost.Test case of a test executable, at the
# time CTest reads the tests (TEST_INCLUDE_FILES of tests/CMakeLists.txt, whose
# header says how entries are labelled): the list is always that of the
# executable as built. The executable lists its cases with --list_content: one
# unit a line, four spaces per level, "*" after an enabled unit.
#
# synergai_discover_tests(EXE path PREFIX kube_tests WORKDIR dir
#   INTEGRATION a,b/c SLOW ... WHOLE ... TIMEOUTS 60,180,600 SKIP_REGEX re)
# INTEGRATION, SLOW and WHOLE are comma-separated unit paths: an entry is in
# one if its path is that unit or lies under it. A WHOLE unit is one entry (its
# cases share a costly fixture). TIMEOUTS: unit, integration, slow, in seconds.
# A missing executable, or one that cannot list its cases, is one failing entry.

# CTest reads its files with the oldest policies: ask for today's.
cmake_policy(VERSION 3.22)

# True in `result` if `path` is one of `units` or lies under one of them.
function(_synergai_under path units result)
  foreach(u IN LISTS units)
    string(LENGTH "${u}/" n)
    string(LENGTH "${path}/" m)
    if(m LESS n)
      continue()
    endif()
    string(SUBSTRING "${path}/" 0 ${n} head)
    if(head STREQUAL "${u}/")
      set(${result} TRUE PARENT_SCOPE)
      return()
    endif()
  endforeach()
  set(${result} FALSE PARENT_SCOPE)
endfunction()

function(synergai_discover_tests)
  cmake_parse_arguments(ARG "" "EXE;PREFIX;WORKDIR;INTEGRATION;SLOW;WHOLE;TIMEOUTS;SKIP_REGEX" "" ${ARGN})
  foreach(var INTEGRATION SLOW WHOLE TIMEOUTS)
    string(REPLACE "," ";" ${var} "${ARG_${var}}")
  endforeach()
  list(GET TIMEOUTS 0 timeout_unit)
  list(GET TIMEOUTS 1 timeout_integration)
  list(GET TIMEOUTS 2 timeout_slow)
  set(EXE "${ARG_EXE}")
  set(PREFIX "${ARG_PREFIX}")

  set(listed "")
  set(rc "not built")
  if(EXISTS "${EXE}")
    execute_process(COMMAND "${EXE}" --list_content
      OUTPUT_VARIABLE listed_out ERROR_VARIABLE listed RESULT_VARIABLE rc)
  endif()
  if(NOT rc EQUAL 0)
    # Fails, saying why: the suites of this executable were not run.
    add_test("${PREFIX}/NOT_LISTED" /bin/sh -c "echo '${EXE} --list_content: ${rc}'; exit 1")
    set_tests_properties("${PREFIX}/NOT_LISTED" PROPERTIES LABELS unit)
    return()
  endif()

  string(REPLACE "\n" ";" lines "${listed}")
  list(FILTER lines INCLUDE REGEX "^( *)[A-Za-z_][A-Za-z0-9_]*\\*?$")
  list(LENGTH lines count)
  if(count EQUAL 0)
    add_test("${PREFIX}/NOT_LISTED" /bin/sh -c "echo '${EXE} --list_content listed nothing'; exit 1")
    return()
  endif()

  set(stack "")
  set(emitted "")
  math(EXPR last "${count} - 1")
  foreach(i RANGE ${last})
    list(GET lines ${i} line)
    string(REGEX MATCH "^ +" indent "${line}")
    string(LENGTH "${indent}" width)
    math(EXPR depth "${width} / 4")
    string(STRIP "${line}" name)
    set(enabled TRUE)
    if(name MATCHES "\\*$")
      string(REGEX REPLACE "\\*$" "" name "${name}")
    else()
      set(enabled FALSE)
    endif()
    # This unit's path: the first `depth` names of the one before, then its own.
    if(depth GREATER 0)
      list(SUBLIST stack 0 ${depth} stack)
    else()
      set(stack "")
    endif()
    list(APPEND stack "${name}")
    list(JOIN stack "/" path)
    # A test case unless the next line is deeper (a suite).
    set(leaf TRUE)
    if(i LESS last)
      math(EXPR next "${i} + 1")
      list(GET lines ${next} next_line)
      string(REGEX MATCH "^ +" next_indent "${next_line}")
      string(LENGTH "${next_indent}" next_width)
      if(next_width GREATER width)
        set(leaf FALSE)
      endif()
    endif()

    set(entry "")
    foreach(u IN LISTS WHOLE)  # one entry for all of a WHOLE unit
      _synergai_under("${path}" "${u}" hit)
      if(hit)
        set(entry "${u}")
      endif()
    endforeach()
    if(entry STREQUAL "" AND leaf)
      set(entry "${path}")
    endif()
    if(entry STREQUAL "" OR entry IN_LIST emitted)
      continue()
    endif()
    list(APPEND emitted "${entry}")

    _synergai_under("${entry}" "${SLOW}" is_slow)
    _synergai_under("${entry}" "${INTEGRATION}" is_integration)
    set(labels unit)
    set(timeout ${timeout_unit})
    if(is_integration)
      set(labels integration)
      set(timeout ${timeout_integration})
    endif()
    set(cost 0)
    if(is_slow)
      list(APPEND labels slow)
      set(timeout ${timeout_slow})
      set(cost 100)  # started first with -j, even before CTest has timed anything
    endif()
    set(test_name "${PREFIX}/${entry}")
    add_test("${test_name}" "${EXE}" --color_output=false "--run_test=${entry}")
    set_tests_properties("${test_name}" PROPERTIES WORKING_DIRECTORY "${ARG_WORKDIR}" LABELS "${labels}"
      TIMEOUT ${timeout} COST ${cost} SKIP_REGULAR_EXPRESSION "${ARG_SKIP_REGEX}")
    if(NOT enabled)  # disabled in this build (an enable_if decorator): CTest says "Disabled"
      set_tests_properties("${test_name}" PROPERTIES DISABLED TRUE)
    endif()
  endforeach()
endfunction()
