# Warnings for every target; sanitizers when DNSD_SANITIZE is on.
add_compile_options(-Wall -Wextra -Wshadow -Wstrict-prototypes -Wno-unused-parameter)
if(DNSD_WERROR)
	add_compile_options(-Werror)
endif()
if(DNSD_SANITIZE)
	add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
	add_link_options(-fsanitize=address,undefined)
endif()
