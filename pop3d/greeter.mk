# pop3d/greeter.mk -- owned by the helper for this area; += only (see Makefile.am).
