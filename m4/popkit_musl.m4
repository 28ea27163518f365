dnl SPDX-License-Identifier: ISC
dnl POPKIT_MUSL_STATIC_PIE(SPECS) -- set MUSL_CFLAGS when musl can link
dnl static-pie programs.  Debian's musl-gcc.specs links every program
dnl against the dynamic loader and Scrt1.o, so -static-pie would give a
dnl dynamic PIE that needs /lib/ld-musl-*.so.1; musl ships rcrt1.o, the
dnl self-relocating start file, so a copy of the specs in the build tree
dnl uses it for -static-pie (with no dynamic linker and -z text, as gcc's
dnl own spec does) and keeps the rest.  The result is checked: a program
dnl that runs and has no PT_INTERP.
AC_DEFUN([POPKIT_MUSL_STATIC_PIE], [
  AC_CHECK_TOOL([READELF], [readelf])
  popkit_specs_out=`pwd`/popkit-musl.specs
  sed -e 's|%{!shared: \([[^ ]]*\)/Scrt1.o}|%{static-pie:\1/rcrt1.o;!shared: \1/Scrt1.o}|' \
      -e 's|-dynamic-linker \([[^ ]]*\) -nostdlib %{shared:-shared} %{static:-static}|-nostdlib %{static-pie:-static -pie --no-dynamic-linker -z text;:-dynamic-linker \1 %{shared:-shared} %{static:-static}}|' \
      "$1" >"$popkit_specs_out"
  AC_MSG_CHECKING([whether musl links static-pie programs])
  popkit_save_CFLAGS=$CFLAGS popkit_save_LDFLAGS=$LDFLAGS
  CFLAGS="$CFLAGS -specs=$popkit_specs_out" LDFLAGS="$LDFLAGS -static-pie"
  AC_LINK_IFELSE([AC_LANG_PROGRAM([[#include <spawn.h>
#include <string.h>]], [[return (int)strlen("x") - 1;]])],
    [AS_IF([test -n "$READELF" && ./conftest$ac_exeext &&
            $READELF -lW conftest$ac_exeext | grep -q '^ *DYN\|^Elf file type is DYN' &&
            ! $READELF -lW conftest$ac_exeext | grep -q INTERP],
       [MUSL_CFLAGS="-specs=$popkit_specs_out"; AC_MSG_RESULT([yes])],
       [AC_MSG_RESULT([no: not a static-pie program])])],
    [AC_MSG_RESULT([no])])
  CFLAGS=$popkit_save_CFLAGS LDFLAGS=$popkit_save_LDFLAGS
])
