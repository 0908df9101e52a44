# placeholder, replaced by the tools helper
MKBUNDLE := $(BUILD)/tools/mkbundle
tools: $(MKBUNDLE)
