#!/usr/bin/env bash
# Generates niolb's man pages (as AsciiDoc, which the asciidoctor-maven-plugin turns into troff) and its shell
# completion from the picocli model of dev.niolb.cli.Main, so that they always match the commands and flags. Run by
# Maven (lb-cli/pom.xml, exec-maven-plugin, phase prepare-package):
#
#   generate.sh CLASSPATH OUT_DIR        with NIOLB_JDK (the toolchain's JDK 25) or JAVA_HOME set
#
# OUT_DIR/adoc/niolb.adoc, niolb-run.adoc, niolb-server-drain.adoc, ...   picocli-codegen's ManPageGenerator
# OUT_DIR/completion/niolb      bash completion (picocli.AutoComplete); zsh reads it through bashcompinit
# OUT_DIR/completion/_niolb     zsh completion: loads the bash one into zsh's bashcompinit
set -euo pipefail

classpath=$1 out=$2
jdk=${NIOLB_JDK:-${JAVA_HOME:-}}
java=${jdk:+$jdk/bin/}java

rm -rf "$out"
mkdir -p "$out/adoc" "$out/completion"
"$java" -cp "$classpath" picocli.codegen.docgen.manpage.ManPageGenerator --outdir="$out/adoc" dev.niolb.cli.Main
"$java" -cp "$classpath" picocli.AutoComplete --force --name=niolb --completionScript="$out/completion/niolb" \
    dev.niolb.cli.Main

# zsh: a completion function in fpath (Debian: /usr/share/zsh/vendor-completions) named for the command. picocli's
# script is bash's; zsh runs it through bashcompinit, then completes this first time with what it registered.
cat >"$out/completion/_niolb" <<'ZSH'
#compdef niolb
# niolb's completion for zsh: picocli's bash completion through zsh's bashcompinit.
autoload -U +X bashcompinit && bashcompinit
# the .deb's copy, else the bash script beside this file (the tarball's completion/, put on fpath)
zmodload -F zsh/parameter p:functions_source 2>/dev/null
for f in /usr/share/bash-completion/completions/niolb "${functions_source[_niolb]:h}/niolb"; do
    if [[ -r $f ]]; then
        source "$f"
        break
    fi
done
_bash_complete -F _complete_niolb -o default "$@"
ZSH
echo "[docs] $(ls "$out/adoc" | wc -l) man pages (AsciiDoc) and completion in $out"
