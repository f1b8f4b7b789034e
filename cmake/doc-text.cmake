# doc-text.cmake — mc_doc_text(MD VAR OUT UNTIL [FROM]): write OUT, a C
# header defining `static const char VAR[]` as the text of the file MD up to
# (not including) the line UNTIL ("": to the end), from the line FROM when
# given (else the start), so that a help text and its page in docs/ are one
# source.  CMake re-runs when MD changes.
# mc_usage_texts(DIR OUTDIR): OUTDIR/usage_NAME.h with `static const char
# usage_NAME[]` for every DIR/NAME.txt (the commands' --help texts).
function(mc_doc_text md var out until)
	file(READ ${md} text)
	if(ARGC GREATER 4)
		string(FIND "${text}" "\n${ARGV4}\n" from)
		if(from EQUAL -1)
			message(FATAL_ERROR "${md}: no line \"${ARGV4}\"")
		endif()
		math(EXPR from "${from} + 1")
		string(SUBSTRING "${text}" ${from} -1 text)
	endif()
	set(cut -1)
	if(until)
		string(FIND "${text}" "\n${until}\n" cut)
	endif()
	if(cut GREATER -1)
		string(SUBSTRING "${text}" 0 ${cut} text)
	endif()
	string(REPLACE "\\" "\\\\" text "${text}")
	string(REPLACE "\"" "\\\"" text "${text}")
	string(REPLACE "\n" "\\n\"\n    \"" text "${text}")
	file(WRITE ${out} "/* Generated from ${md} by cmake/doc-text.cmake. */\n"
	    "static const char ${var}[] =\n    \"${text}\";\n")
	set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${md})
endfunction()

function(mc_usage_texts dir outdir)
	file(GLOB docs ${dir}/*.txt)
	foreach(f ${docs})
		get_filename_component(name ${f} NAME_WE)
		mc_doc_text(${f} usage_${name} ${outdir}/usage_${name}.h "")
	endforeach()
endfunction()
