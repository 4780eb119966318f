# niolb launcher functions, sourced by bin/niolb in the distribution and by ./niolb in a checkout, so that the two
# find Java and start the JVM the same way. Not to be run by itself.
#
# shellcheck shell=bash

readonly NIOLB_MIN_JAVA=25

# The feature version (25 for 25.0.3, 8 for 1.8.0_x) of the java binary $1, or nothing.
java_feature() {
    local bin=$1 home v=""
    home=$(cd -P "$(dirname "$bin")/.." 2>/dev/null && pwd) || return 0
    if [[ -f $home/release ]]; then
        # cheap: no JVM start
        v=$(sed -n 's/^JAVA_VERSION="\(.*\)"$/\1/p' "$home/release")
    fi
    if [[ -z $v ]]; then
        v=$("$bin" -version 2>&1 | sed -n 's/.* version "\([^"]*\)".*/\1/p' | head -n 1) || true
    fi
    v=${v#1.}
    v=${v%%[.+-]*}
    [[ $v =~ ^[0-9]+$ ]] && echo "$v"
    return 0
}

# Sets JAVA to the java binary of a JDK >= NIOLB_MIN_JAVA, or to nothing; NEWEST_OLD to the newest older one seen.
find_java() {
    local bin v d best_v=0 old_v=0
    JAVA="" NEWEST_OLD="" JAVA_HOME_PASSED_OVER=""
    # the runtime packaged with niolb (the .deb's jlink image) wins over any other: niolb was tested on it and it
    # holds the modules niolb needs; JAVA_HOME is for the tarball and a checkout
    if [[ -n ${NIOLB_HOME:-} && -x $NIOLB_HOME/runtime/bin/java ]]; then
        JAVA=$NIOLB_HOME/runtime/bin/java
        return 0
    fi
    # JAVA_HOME wins whenever it is new enough; one that is not is said (require_java), not passed over in silence:
    # a typo in a unit's Environment=JAVA_HOME= ran another JDK unnoticed (black-box testing, session 32)
    JAVA_HOME_PASSED_OVER=""
    if [[ -n ${JAVA_HOME:-} && -x $JAVA_HOME/bin/java ]]; then
        v=$(java_feature "$JAVA_HOME/bin/java")
        if [[ -n $v ]] && ((v >= NIOLB_MIN_JAVA)); then
            JAVA=$JAVA_HOME/bin/java
            return 0
        fi
        JAVA_HOME_PASSED_OVER="is Java ${v:-of an unknown version}, not $NIOLB_MIN_JAVA or newer"
    elif [[ -n ${JAVA_HOME:-} ]]; then
        JAVA_HOME_PASSED_OVER="has no bin/java"
    fi
    # otherwise the newest of the usual install folders and java on PATH
    local candidates=()
    [[ -n ${JAVA_HOME:-} && -x $JAVA_HOME/bin/java ]] && candidates+=("$JAVA_HOME/bin/java")
    # a service may run without HOME (systemd's DynamicUser)
    local home_dirs=()
    [[ -n ${HOME:-} ]] && home_dirs=("$HOME"/.sdkman/candidates/java/* "$HOME"/.jdks/*)
    # (${a[@]+"${a[@]}"}: an empty array under set -u in bash 3.2, macOS's)
    for d in /usr/lib/jvm/* /usr/java/* /opt/java/* /opt/jdk* ${home_dirs[@]+"${home_dirs[@]}"} \
        /Library/Java/JavaVirtualMachines/*/Contents/Home; do
        [[ -x $d/bin/java ]] && candidates+=("$d/bin/java")
    done
    if bin=$(command -v java 2>/dev/null); then
        # /usr/bin/java is usually a symlink chain; its release file sits next to the real binary
        if readlink -f / >/dev/null 2>&1; then
            bin=$(readlink -f "$bin")
        fi
        candidates+=("$bin")
    fi
    for bin in ${candidates[@]+"${candidates[@]}"}; do
        v=$(java_feature "$bin")
        [[ -n $v ]] || continue
        if ((v >= NIOLB_MIN_JAVA && v > best_v)); then
            JAVA=$bin
            best_v=$v
        elif ((v < NIOLB_MIN_JAVA && v > old_v)); then
            NEWEST_OLD="only Java $v ($bin)"
            old_v=$v
        fi
    done
    return 0
}

# find_java, or a message saying what to install and exit 1.
require_java() {
    find_java
    if [[ -z $JAVA ]]; then
        cat >&2 <<MSG
niolb: needs Java $NIOLB_MIN_JAVA or newer, and found ${NEWEST_OLD:-no Java at all}.
  Looked at JAVA_HOME, /usr/lib/jvm, /usr/java, /opt/java, /opt/jdk*, ~/.sdkman, ~/.jdks and java on PATH.
  Install a JDK $NIOLB_MIN_JAVA, then run this again (or point JAVA_HOME at it):
    Debian/Ubuntu:  sudo apt-get install openjdk-$NIOLB_MIN_JAVA-jdk    (where the release packages it)
    any system:     Eclipse Temurin $NIOLB_MIN_JAVA from https://adoptium.net/temurin/releases/?version=$NIOLB_MIN_JAVA
MSG
        exit 1
    fi
    if [[ -n ${JAVA_HOME_PASSED_OVER:-} ]]; then
        echo "niolb: JAVA_HOME=$JAVA_HOME $JAVA_HOME_PASSED_OVER: using $JAVA" >&2
    fi
}

# Runs niolb with class path $1 and the remaining arguments, replacing this shell (so that signals, and systemd's
# MAINPID, reach the JVM itself).
#
# JVM options for a proxy: a small heap (niolb's buffers are direct memory, pooled and bounded per session),
# direct memory bounded, ZGC for short pauses, compact object headers (JDK 25: 8-byte headers instead of 12; an
# idle connection's objects 1,023 -> 950 bytes, docs/BENCHMARKS.md session 12), and exit on OutOfMemoryError
# rather than limp on (a service manager restarts it). JAVA_OPTS is added after these, so its -Xmx or
# MaxDirectMemorySize wins; a default is left out where JAVA_OPTS sets the same thing (a heap size, a collector,
# the headers), so that the two never conflict.
# A heap sized as a share of memory (-XX:MaxRAMPercentage, as the container image sets it) drops all three fixed
# sizes: a fixed -Xmx would win over it, and a fixed direct memory could exceed a small container's limit, whereas
# the JVM's own default for direct memory is the heap's maximum, so it follows the limit too.
# The commands that only talk to a running niolb or read a file (stats, server, reload, check, version) run on the
# serial collector with the first compiler only: no proxy's pauses to keep short, and `niolb stats` against 10,000
# servers took 3.3 s and 280 MB (ZGC, both compilers) where it takes 1.5 s and 150 MB (black-box testing, session 33).
exec_niolb() {
    local classpath=$1
    shift
    local proxy=
    case "${1:-}" in run | demo) proxy=1 ;; esac
    local user=${JAVA_OPTS:-} opts=() by_share=
    [[ $user == *RAMPercentage* || $user == *-XX:MaxRAM=* ]] && by_share=1
    # any heap size of JAVA_OPTS's, in either spelling, drops both of ours: -Xms1g beside our -Xmx512m, or
    # -XX:MaxHeapSize=32m beside our -Xms64m, is a JVM that refuses to start
    # (-XX:SoftMaxHeapSize is a goal within the maximum, not a size: it keeps ours)
    [[ $user == *-Xms* || $user == *-Xmx* || $user == *-XX:InitialHeapSize=* || $user == *-XX:MaxHeapSize=* \
        || $user == *-XX:MinHeapSize=* || -n $by_share ]] || opts+=(-Xms64m -Xmx512m)
    [[ $user == *MaxDirectMemorySize* || -n $by_share ]] || opts+=(-XX:MaxDirectMemorySize=512m)
    # a whole word (G1 has a digit; -XX:+UseGCOverheadLimit is no collector)
    if [[ ! " $user " =~ [[:space:]]-XX:[+-]Use[A-Za-z0-9]+GC[[:space:]] ]]; then
        if [[ -n $proxy ]]; then opts+=(-XX:+UseZGC); else opts+=(-XX:+UseSerialGC); fi
    fi
    [[ -n $proxy || $user == *Tiered* ]] || opts+=(-XX:TieredStopAtLevel=1)
    [[ $user == *CompactObjectHeaders* ]] || opts+=(-XX:+UseCompactObjectHeaders)
    [[ $user == *OnOutOfMemoryError* ]] || opts+=(-XX:+ExitOnOutOfMemoryError)
    # the JVM's own warnings on stderr, not among a command's output (niolb stats --json | jq broke on a
    # "[warning][pagesize]" line; black-box testing, session 32); a -Xlog of JAVA_OPTS comes after, and wins
    opts+=(-Xlog:disable -Xlog:all=warning:stderr)
    # Agrona reaches into jdk.internal.misc
    opts+=(--add-exports java.base/jdk.internal.misc=ALL-UNNAMED --enable-native-access=ALL-UNNAMED)
    # A closed stdin, stdout or stderr (a service manager's or a script's '>&-') would be taken by the first file
    # the JVM opens: ZGC's heap (its memfd) became descriptor 1, log lines were written into the heap, and the JVM
    # crashed. (bash checks /dev/fd/N itself, on any system.)
    [[ -e /dev/fd/0 ]] || exec 0</dev/null
    [[ -e /dev/fd/1 ]] || exec 1>/dev/null
    [[ -e /dev/fd/2 ]] || exec 2>/dev/null
    # The JVM decodes arguments and file names by the locale's charset: under C or POSIX (a bare container, cron,
    # docker exec) a group named 'wéb' or a config at 配置.yaml reached niolb as '?'s. UTF-8 unless it is already.
    case "${LC_ALL:-${LC_CTYPE:-${LANG:-}}}" in
        *[Uu][Tt][Ff]-8* | *[Uu][Tt][Ff]8*) ;;
        *) export LC_ALL=C.UTF-8 ;;
    esac
    # shellcheck disable=SC2086 # JAVA_OPTS is a list of words
    exec "$JAVA" "${opts[@]}" $user -cp "$classpath" dev.niolb.cli.Main "$@"
}
