# pop3d/maildir.mk -- owned by the helper for this area; += only (see Makefile.am).
