# doc-text.cmake — mc_doc_text(MD VAR OUT UNTIL): write OUT, a C header
# defining `static const char VAR[]` as the text of the Markdown file MD up
# to (not including) the line UNTIL, so that a help text and its page in
# docs/ are one source.  CMake re-runs when MD changes.
function(mc_doc_text md var out until)
	file(READ ${md} text)
	string(FIND "${text}" "\n${until}\n" cut)
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
