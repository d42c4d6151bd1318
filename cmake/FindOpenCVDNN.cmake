# Finds OpenCV's core and DNN modules as Debian's libopencv-dnn-dev installs
# them. (OpenCVConfig.cmake ships only with the umbrella libopencv-dev, which
# pulls in every module and GUI toolkit; the engine needs two.) Defines
# OpenCVDNN::dnn with OpenCV's headers as SYSTEM includes, and OpenCVDNN_VERSION.
find_path(OpenCVDNN_INCLUDE_DIR NAMES opencv2/dnn.hpp PATH_SUFFIXES opencv4)
find_library(OpenCVDNN_CORE_LIBRARY NAMES opencv_core)
find_library(OpenCVDNN_DNN_LIBRARY NAMES opencv_dnn)

if(OpenCVDNN_INCLUDE_DIR AND EXISTS "${OpenCVDNN_INCLUDE_DIR}/opencv2/core/version.hpp")
  file(STRINGS "${OpenCVDNN_INCLUDE_DIR}/opencv2/core/version.hpp" _cv_lines
       REGEX "^#define CV_VERSION_(MAJOR|MINOR|REVISION) +[0-9]+")
  foreach(part MAJOR MINOR REVISION)
    string(REGEX REPLACE ".*#define CV_VERSION_${part} +([0-9]+).*" "\\1" _cv_${part} "${_cv_lines}")
  endforeach()
  set(OpenCVDNN_VERSION "${_cv_MAJOR}.${_cv_MINOR}.${_cv_REVISION}")
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(OpenCVDNN
  REQUIRED_VARS OpenCVDNN_INCLUDE_DIR OpenCVDNN_CORE_LIBRARY OpenCVDNN_DNN_LIBRARY
  VERSION_VAR OpenCVDNN_VERSION
  FAIL_MESSAGE "OpenCV's DNN module not found: install Debian's libopencv-dnn-dev (scripts/install-deps does)")

if(OpenCVDNN_FOUND AND NOT TARGET OpenCVDNN::dnn)
  add_library(OpenCVDNN::core UNKNOWN IMPORTED)
  set_target_properties(OpenCVDNN::core PROPERTIES
    IMPORTED_LOCATION "${OpenCVDNN_CORE_LIBRARY}"
    INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${OpenCVDNN_INCLUDE_DIR}"
    INTERFACE_INCLUDE_DIRECTORIES "${OpenCVDNN_INCLUDE_DIR}")
  add_library(OpenCVDNN::dnn UNKNOWN IMPORTED)
  set_target_properties(OpenCVDNN::dnn PROPERTIES
    IMPORTED_LOCATION "${OpenCVDNN_DNN_LIBRARY}"
    INTERFACE_LINK_LIBRARIES OpenCVDNN::core)
endif()
mark_as_advanced(OpenCVDNN_INCLUDE_DIR OpenCVDNN_CORE_LIBRARY OpenCVDNN_DNN_LIBRARY)
