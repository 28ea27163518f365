# wrappers/local.mk -- owned by the helper for this area; += only (see Makefile.am).
