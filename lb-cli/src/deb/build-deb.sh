#!/usr/bin/env bash
# Builds niolb_VERSION_ARCH.deb from the distribution tarball and a jlink'd Java runtime, so that the installed
# service needs no Java on the host. Run by Maven (lb-cli/pom.xml, exec-maven-plugin, phase package) after the
# tarball is assembled:
#
#   build-deb.sh TARBALL MAVEN_VERSION OUT_DIR        with NIOLB_JDK (the toolchain's JDK 25) or JAVA_HOME set
#
# The package (DebianPackageIT tests it):
#   /opt/niolb/                  the unpacked tarball (bin/niolb, lib/*.jar, conf/, systemd/, README.md, docs/) and
#   /opt/niolb/runtime/          the Java runtime, only the modules jdeps finds in lib/*.jar; bin/niolb prefers it
#   /etc/niolb/niolb.yaml        the example config, a conffile (an upgrade keeps the operator's edits)
#   /lib/systemd/system/niolb.service, /usr/bin/niolb -> /opt/niolb/bin/niolb
#   /usr/share/man/man1/niolb*.1.gz, /usr/share/bash-completion/completions/niolb,
#   /usr/share/zsh/vendor-completions/_niolb  (generated from the picocli model: src/docs/generate.sh)
# Installed, not started: the service starts once its config names the operator's servers (README).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HERE
tarball=$1 version=$2 out=$3

if ! command -v dpkg-deb >/dev/null 2>&1; then
    echo "[deb] dpkg-deb not found (not a Debian-like system): no .deb built" >&2
    exit 0
fi
jdk=${NIOLB_JDK:-${JAVA_HOME:-}}
if [[ -z $jdk || ! -x $jdk/bin/jlink ]]; then
    echo "[deb] no JDK with jlink (NIOLB_JDK from the Maven toolchain, or JAVA_HOME): '$jdk'" >&2
    exit 1
fi
feature=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*"$/\1/p' "$jdk/release")

# 0.1.0-SNAPSHOT -> 0.1.0~SNAPSHOT: '~' sorts before the release, so 0.1.0 upgrades the snapshot
deb_version=${version//-/\~}
arch=$(dpkg --print-architecture)
readonly deb=$out/niolb_${deb_version}_${arch}.deb

umask 022
work=$out/deb
rm -rf "$work" "$out"/niolb_*.deb
mkdir -p "$work"
root=$work/root
home=$root/opt/niolb

tar -xzf "$tarball" -C "$work"
mkdir -p "$root/opt"
mv "$work/niolb-$version" "$home"

# The runtime: the modules niolb's jars use (jdeps), nothing for tools, debugging or other platforms' headers.
# A module only loaded by name at run time would not show here; DebianPackageIT runs niolb on this runtime.
# Not compressed by jlink: the .deb's xz compresses the whole tree better than jimage's zip does (a 21 MB .deb
# in 7 s against 27 MB in 23 s with zip-6 and xz's default level), for 69 MB installed against 48 MB.
modules=$("$jdk/bin/jdeps" --print-module-deps --ignore-missing-deps --multi-release "$feature" "$home"/lib/*.jar)
"$jdk/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages --compress=zip-0 \
    --output "$home/runtime"
# jlink leaves the legal notices read-only (0444); a package's files are 0644
chmod -R u+w "$home/runtime"

install -D -m 0644 "$home/conf/niolb.yaml" "$root/etc/niolb/niolb.yaml"
# the schema the example's modeline names (niolb.schema.json, beside it): a link, not a conffile, so that it
# follows the installed version while the operator's niolb.yaml stays theirs
ln -s /opt/niolb/conf/niolb.schema.json "$root/etc/niolb/niolb.schema.json"
install -D -m 0644 "$home/systemd/niolb.service" "$root/lib/systemd/system/niolb.service"
install -D -m 0644 "$home/systemd/niolb.socket" "$root/lib/systemd/system/niolb.socket"
mkdir -p "$root/usr/bin"
ln -s /opt/niolb/bin/niolb "$root/usr/bin/niolb"

# man pages and completion where man(1), bash-completion and zsh look for them; the tarball keeps its own copy
mkdir -p "$root/usr/share/man/man1"
for page in "$home"/man/man1/*.1; do
    gzip -9n <"$page" >"$root/usr/share/man/man1/$(basename "$page").gz"
    chmod 0644 "$root/usr/share/man/man1/$(basename "$page").gz"
done
install -D -m 0644 "$home/completion/niolb" "$root/usr/share/bash-completion/completions/niolb"
install -D -m 0644 "$home/completion/_niolb" "$root/usr/share/zsh/vendor-completions/_niolb"

doc=$root/usr/share/doc/niolb
install -D -m 0644 "$HERE/copyright" "$doc/copyright"
install -D -m 0644 "$HERE/lintian-overrides" "$root/usr/share/lintian/overrides/niolb"
date=$(date -R -d "@${SOURCE_DATE_EPOCH:-$(stat -c %Y "$tarball")}")
printf 'niolb (%s) unstable; urgency=medium\n\n  * Built from the niolb sources, version %s.\n\n -- %s  %s\n' \
    "$deb_version" "$version" "$(sed -n 's/^Maintainer: //p' "$HERE/control")" "$date" | gzip -9n >"$doc/changelog.gz"

mkdir -p "$root/DEBIAN"
install -m 0755 "$HERE"/DEBIAN/postinst "$HERE"/DEBIAN/prerm "$HERE"/DEBIAN/postrm "$root/DEBIAN/"
install -m 0644 "$HERE/DEBIAN/conffiles" "$root/DEBIAN/"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) \
    >"$root/DEBIAN/md5sums"
installed_kb=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$deb_version/" -e "s/@ARCH@/$arch/" -e "s/@INSTALLED_SIZE@/$installed_kb/" \
    "$HERE/control" >"$root/DEBIAN/control"

# xz level 1: 2.5 s here, against 19 s for the default level 6 that saves 2.5 MB more
dpkg-deb --build --root-owner-group -Zxz -z1 "$root" "$deb" >/dev/null
rm -rf "$work"
echo "[deb] $deb ($(du -h "$deb" | cut -f1), runtime modules: $modules)"
