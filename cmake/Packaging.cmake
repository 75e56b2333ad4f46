# What `cmake --install` puts where, and the Debian package `cpack -G DEB`
# builds from it:
#   PREFIX/sbin/xdpguard
#   PREFIX/lib/systemd/system/xdpguard.service   (installed, not enabled)
#   PREFIX/share/man/man8/xdpguard.8.gz
#   PREFIX/share/doc/xdpguard/README.md
#   /etc/xdpguard/xdpguard.toml                  (a conffile in the package)
#   /etc/fail2ban/filter.d/xdpguard.conf         (a conffile: the drop log's fail2ban
#                                                 filter; no jail uses it until the admin's does)
# PREFIX is /usr/local for `cmake --install` and /usr in the package.
include(GNUInstallDirs)

set(XDPGUARD_PACKAGING_DIR ${PROJECT_SOURCE_DIR}/packaging)
set(XDPGUARD_CONFIG_DIR /etc/xdpguard)
set(XDPGUARD_UNIT_DIR lib/systemd/system)

install(TARGETS xdpguard RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})

# The unit names the binary by its packaged path, /usr/sbin/xdpguard. Any
# other prefix is known only at install time (cpack installs with /usr, a
# plain `cmake --install` with /usr/local), so the path is rewritten then.
install(FILES ${XDPGUARD_PACKAGING_DIR}/xdpguard.service DESTINATION ${XDPGUARD_UNIT_DIR})
install(CODE "
  set(unit \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${XDPGUARD_UNIT_DIR}/xdpguard.service\")
  file(READ \"\${unit}\" text)
  string(REPLACE \"/usr/sbin/xdpguard \" \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_SBINDIR}/xdpguard \" text \"\${text}\")
  file(WRITE \"\${unit}\" \"\${text}\")
")

# The man page carries the project version; it is gzipped at build time, as
# Debian ships man pages.
find_program(GZIP_EXECUTABLE gzip REQUIRED)
set(XDPGUARD_MAN_PAGE ${CMAKE_BINARY_DIR}/packaging/xdpguard.8)
configure_file(${XDPGUARD_PACKAGING_DIR}/xdpguard.8 ${XDPGUARD_MAN_PAGE} @ONLY)
add_custom_command(OUTPUT ${XDPGUARD_MAN_PAGE}.gz
  COMMAND ${GZIP_EXECUTABLE} -9 --no-name --force --keep ${XDPGUARD_MAN_PAGE}
  DEPENDS ${XDPGUARD_MAN_PAGE}
  COMMENT "Compressing the man page xdpguard.8"
  VERBATIM)
add_custom_target(xdpguard_man ALL DEPENDS ${XDPGUARD_MAN_PAGE}.gz)
install(FILES ${XDPGUARD_MAN_PAGE}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)

install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})

# Files in /etc: `cmake --install` never overwrites one that is already
# there (the admin's edits win); dpkg handles each as a conffile.
set(XDPGUARD_CONFFILES "")
function(xdpguard_install_conffile source directory)
  get_filename_component(name ${source} NAME)
  install(CODE "
    if(EXISTS \"\$ENV{DESTDIR}${directory}/${name}\")
      message(STATUS \"Keeping: \$ENV{DESTDIR}${directory}/${name} (the packaged one is ${source})\")
    else()
      file(INSTALL DESTINATION \"${directory}\" TYPE FILE
           PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
           FILES \"${source}\")
    endif()
  ")
  set(XDPGUARD_CONFFILES "${XDPGUARD_CONFFILES}${directory}/${name}\n" PARENT_SCOPE)
endfunction()

# The example configuration.
set(XDPGUARD_EXAMPLE_CONFIG ${XDPGUARD_PACKAGING_DIR}/xdpguard.toml)
if(EXISTS ${XDPGUARD_EXAMPLE_CONFIG})
  xdpguard_install_conffile(${XDPGUARD_EXAMPLE_CONFIG} ${XDPGUARD_CONFIG_DIR})
else()
  message(WARNING "${XDPGUARD_EXAMPLE_CONFIG} is missing: the install and the package will have no configuration file")
endif()

# The fail2ban filter for the drop log (tested by tests/e2e/daemon.sh with
# fail2ban-regex). fail2ban reads filter.d/ only for a jail that names it,
# so installing it changes nothing until the admin adds one.
xdpguard_install_conffile(${XDPGUARD_PACKAGING_DIR}/fail2ban/xdpguard.conf /etc/fail2ban/filter.d)

# ---- Debian package -------------------------------------------------------

set(XDPGUARD_PACKAGE_MAINTAINER
  "xdpguard maintainers <maintainers@users.noreply.r-seed-9807b5bd.example>"
  CACHE STRING "Maintainer field of the Debian package")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME xdpguard)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT ${XDPGUARD_PACKAGE_MAINTAINER})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "XDP filter: SMTP connections only from the mail provider's gateways")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
  "xdpguard drops, in the network driver (XDP), every TCP SYN to the SMTP port
whose source is outside an allowlist of the mail-filtering provider's gateway
prefixes, so spammers that skip the MX and deliver directly never reach the
mail server. Everything else passes untouched. The allowlist is kept current
from inline prefixes, files and the provider's SPF record; counters are
exported to Prometheus and denied SYNs can be logged for fail2ban.

The package installs the xdpguard command, a systemd unit, an example
configuration in /etc/xdpguard/xdpguard.toml and a man page. It does not
enable or start the service: edit the configuration, run it in monitor mode
first (nothing is dropped, would-be drops are counted), then
systemctl enable --now xdpguard.")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER ${XDPGUARD_PACKAGE_MAINTAINER})
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# Library dependencies come from dpkg-shlibdeps (package dpkg-dev, and `file`);
# procps provides the /bin/kill of the unit's ExecReload.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS procps)
set(CPACK_STRIP_FILES ON)

# Maintainer scripts (packaging/deb/) and the conffiles list.
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${XDPGUARD_PACKAGING_DIR}/deb/postinst
  ${XDPGUARD_PACKAGING_DIR}/deb/prerm
  ${XDPGUARD_PACKAGING_DIR}/deb/postrm)
if(XDPGUARD_CONFFILES)
  file(WRITE ${CMAKE_BINARY_DIR}/packaging/deb/conffiles "${XDPGUARD_CONFFILES}")
  list(APPEND CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${CMAKE_BINARY_DIR}/packaging/deb/conffiles)
endif()
# 0644 for conffiles, 0755 for the scripts, whatever the checkout's modes.
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

include(CPack)
