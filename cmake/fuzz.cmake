# DNSD_FUZZ: build tests/fuzz/fuzz_<target> as libFuzzer binaries (clang
# only).  Every target gets libFuzzer's coverage instrumentation so the
# harnesses see edges in dnsd/ and geo/; the harnesses link the fuzzer
# runtime (tests/fuzz/CMakeLists.txt).  Combine with DNSD_SANITIZE for
# ASan + UBSan.  tools/fuzz.sh configures and runs such a build.
if(DNSD_FUZZ)
	if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
		message(FATAL_ERROR "DNSD_FUZZ needs clang: cmake -DCMAKE_C_COMPILER=clang -DDNSD_FUZZ=ON ...")
	endif()
	add_compile_options(-fsanitize=fuzzer-no-link)
	add_link_options(-fsanitize=fuzzer-no-link)
endif()
