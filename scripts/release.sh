#!/usr/bin/env bash
# Builds LaunchPad's release artifacts from the last commit: a tarball, a
# .deb, a CycloneDX SBOM and SHA256SUMS over them. The build is
# reproducible: the tree is an export of HEAD (so nothing uncommitted gets
# in), built with the lock file, SOURCE_DATE_EPOCH from the commit and every
# build path remapped, so the same commit gives the same bytes in any
# folder. See README.md, "Releases".
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: scripts/release.sh [--out DIR]
       scripts/release.sh --check-reproducible
       scripts/release.sh --binary PATH [--out DIR]

Builds, from HEAD of a clean tree and Cargo.lock, into DIR:
  launchpad-VERSION-x86_64-unknown-linux-gnu.tar.gz  the binary, the systemd units,
                     scripts/install.sh and upgrade.sh, the runbooks, README.md, LICENSE
  launchpad_VERSION_amd64.deb                         the package: binary, units, config
  launchpad-VERSION.cdx.json                          CycloneDX SBOM: every crate, its
                     version, licence and checksum
  SHA256SUMS                                          sha256sum over the three

VERSION is Cargo.toml's. Releases are tagged vVERSION.

Options:
  --out DIR             where the artifacts go [default: target/dist]
  --check-reproducible  build twice, in two different folders, and compare the
                        binaries and every artifact byte for byte (two release
                        builds: about 10 minutes on 2 cores); writes nothing to --out
  --binary PATH         package this binary instead of building one, from the working
                        tree as it is (for tests; the result is not a release)
  -h, --help            this text

Environment:
  LAUNCHPAD_BUILD_DIR   where the release build happens [default: target/release-build];
                        its target/ is kept, so the next build is incremental
  LAUNCHPAD_DEB_MAINTAINER  the package's Maintainer field

Examples:
  scripts/release.sh                          # target/dist/
  scripts/release.sh --out /tmp/launchpad-0.2.0
  scripts/release.sh --check-reproducible
  cd target/dist && sha256sum -c SHA256SUMS
EOF
}

say() { printf 'release: %s\n' "$*"; }
die() {
    printf 'release: error: %s\n' "$*" >&2
    exit 1
}

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
# Modes in the archives must not depend on who runs the script.
umask 022
triple=x86_64-unknown-linux-gnu
out="$repo/target/dist"
mode=release
binary=""

while (($#)); do
    case "$1" in
    --out)
        (($# >= 2)) || die "--out needs a folder"
        out="$2"
        shift 2
        ;;
    --out=*)
        out="${1#--out=}"
        shift
        ;;
    --check-reproducible)
        mode=check
        shift
        ;;
    --binary)
        (($# >= 2)) || die "--binary needs a path"
        mode=package
        binary="$2"
        shift 2
        ;;
    -h | --help)
        usage
        exit 0
        ;;
    *)
        usage >&2
        printf '\nrelease: error: unknown argument %q\n' "$1" >&2
        exit 2
        ;;
    esac
done

need() { # command package
    command -v "$1" >/dev/null || die "$1 is missing (Debian package $2)"
}
need git git
need cargo "rustup, https://rustup.rs"
need jq jq
need dpkg-deb dpkg
need readelf binutils
need sha256sum coreutils

version="$(cargo metadata --no-deps --format-version 1 --offline | jq -r '.packages[] | select(.name == "launchpad") | .version')"
[[ -n "$version" ]] || die "cannot read the version from Cargo.toml"
# Debian sorts a pre-release (0.2.0~rc.1) before its release (0.2.0).
deb_version="${version/-/\~}"
# Resolved once: a commit made while a build runs does not get into it.
rev="$(git rev-parse HEAD)"
commit="$(git rev-parse --short=12 "$rev")"
SOURCE_DATE_EPOCH="$(git log -1 --format=%ct "$rev")"
export SOURCE_DATE_EPOCH
maintainer="${LAUNCHPAD_DEB_MAINTAINER:-LaunchPad maintainers <maintainers@launchpad.invalid>}"

# The checkout must hold exactly HEAD: a release is what the commit says.
clean_tree() {
    [[ -z "$(git status --porcelain --untracked-files=all)" ]] ||
        die "the tree has uncommitted or untracked files (git status); commit or stash them first: a release is built from HEAD"
}

# build DIR: exports HEAD into DIR/src and builds it with DIR/target; prints
# the binary's path. Every path that reaches the binary is remapped to a
# fixed name, so the folder does not matter.
build() {
    local dir="$1" src target cargo_home
    src="$dir/src"
    target="$dir/target"
    cargo_home="${CARGO_HOME:-$HOME/.cargo}"
    rm -rf "$src"
    mkdir -p "$src" "$target"
    git archive --format=tar "$rev" | tar -x -C "$src"
    say "building $version (commit $commit) in $dir" >&2
    (
        cd "$src"
        unset CARGO_ENCODED_RUSTFLAGS RUSTFLAGS RUSTC_WRAPPER CARGO_BUILD_RUSTFLAGS
        export CARGO_TARGET_DIR="$target"
        export LAUNCHPAD_GIT_COMMIT="$commit"
        # Given with --config, the remapping joins the flags of
        # .cargo/config.toml rather than replacing them as RUSTFLAGS would.
        local remap="'--remap-path-prefix=$src=/build/launchpad-$version', '--remap-path-prefix=$target=/build/target', '--remap-path-prefix=$cargo_home=/cargo'"
        cargo build --release --locked --target "$triple" --config "build.rustflags = [$remap]" >&2
    )
    printf '%s\n' "$target/$triple/release/launchpad"
}

# The Depends line, from what the binary links: glibc at the newest symbol
# version it uses, and libgcc's unwinder.
depends() {
    local bin="$1" lib glibc
    while read -r lib; do
        case "$lib" in
        libc.so.6 | libm.so.6 | libpthread.so.0 | libdl.so.2 | librt.so.1 | ld-linux-x86-64.so.2) ;;
        libgcc_s.so.1) ;;
        *) die "the binary links $lib, which the package's Depends does not cover; add it in scripts/release.sh" ;;
        esac
    done < <(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
    glibc="$(readelf --dyn-syms -W "$bin" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1)"
    printf 'libc6 (>= %s), libgcc-s1\n' "$glibc"
}

# Sets every file's time to the commit's and packs a folder reproducibly.
pack() { # folder-parent name tarball
    find "$1/$2" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
    tar --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner \
        --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
        -C "$1" -cf - "$2" | gzip -9 -n >"$3"
}

# The tarball: what scripts/install.sh needs to install from it, and the docs.
tarball() { # source-tree binary staging out
    local tree="$1" bin="$2" stage="$3" name="launchpad-$version-$triple"
    mkdir -p "$stage/$name/scripts" "$stage/$name/systemd" "$stage/$name/packaging"
    install -m 755 "$bin" "$stage/$name/launchpad"
    install -m 644 "$tree/README.md" "$tree/LICENSE" "$stage/$name/"
    install -m 644 "$tree"/systemd/launchpad.service "$tree"/systemd/launchpad-backup.service \
        "$tree"/systemd/launchpad-backup.timer "$tree"/systemd/README.md "$stage/$name/systemd/"
    install -m 755 "$tree/scripts/install.sh" "$tree/scripts/upgrade.sh" "$stage/$name/scripts/"
    install -m 644 "$tree/packaging/launchpad.toml" "$stage/$name/packaging/"
    install -m 755 "$tree/packaging/launchpad-identity" "$stage/$name/packaging/"
    cp -R "$tree/runbooks" "$stage/$name/runbooks"
    chmod -R u=rwX,go=rX "$stage/$name/runbooks"
    pack "$stage" "$name" "$4/$name.tar.gz"
}

# The .deb, staged by hand and built by dpkg-deb (no packaging tool to build).
deb() { # source-tree binary staging out
    local tree="$1" bin="$2" stage="$3/deb" unit
    mkdir -p "$stage/DEBIAN" "$stage/usr/bin" "$stage/lib/systemd/system" "$stage/usr/lib/launchpad" \
        "$stage/usr/share/doc/launchpad"
    install -m 755 "$bin" "$stage/usr/bin/launchpad"
    for unit in launchpad.service launchpad-backup.service launchpad-backup.timer; do
        # The package's binary lives where packages put binaries.
        sed 's#/usr/local/bin/launchpad#/usr/bin/launchpad#g' "$tree/systemd/$unit" >"$stage/lib/systemd/system/$unit"
        chmod 644 "$stage/lib/systemd/system/$unit"
    done
    install -d -m 700 "$stage/etc/launchpad"
    install -m 600 "$tree/packaging/launchpad.toml" "$stage/etc/launchpad/launchpad.toml"
    install -m 755 "$tree/packaging/launchpad-identity" "$stage/usr/lib/launchpad/launchpad-identity"
    install -m 755 "$tree/scripts/upgrade.sh" "$stage/usr/lib/launchpad/upgrade.sh"
    install -m 644 "$tree/README.md" "$stage/usr/share/doc/launchpad/README.md"
    cp -R "$tree/runbooks" "$stage/usr/share/doc/launchpad/runbooks"
    chmod -R u=rwX,go=rX "$stage/usr/share/doc/launchpad/runbooks"
    {
        printf 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n'
        printf 'Upstream-Name: launchpad\n\nFiles: *\nLicense: MIT\n'
        printf '\nLicense: MIT\n'
        sed 's/^$/./; s/^/ /' "$tree/LICENSE"
        printf '\nThe licences of the Rust crates compiled into the binary are listed in\nlaunchpad-%s.cdx.json, published beside the package.\n' "$version"
    } >"$stage/usr/share/doc/launchpad/copyright"
    chmod 644 "$stage/usr/share/doc/launchpad/copyright"

    for script in postinst prerm postrm; do
        install -m 755 "$tree/packaging/deb/$script" "$stage/DEBIAN/$script"
    done
    printf '/etc/launchpad/launchpad.toml\n' >"$stage/DEBIAN/conffiles"
    (cd "$stage" && find usr lib -type f -print0 | sort -z | xargs -0 md5sum) >"$stage/DEBIAN/md5sums"
    chmod 644 "$stage/DEBIAN/conffiles" "$stage/DEBIAN/md5sums"
    sed -e "s/@VERSION@/$deb_version/" -e "s/@MAINTAINER@/$maintainer/" \
        -e "s/@INSTALLED_SIZE@/$(du -sk --exclude=DEBIAN "$stage" | cut -f1)/" \
        -e "s/@DEPENDS@/$(depends "$bin")/" "$tree/packaging/deb/control" >"$stage/DEBIAN/control"
    chmod 644 "$stage/DEBIAN/control"
    find "$stage" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
    dpkg-deb --root-owner-group -Zxz --build "$stage" "$4/launchpad_${deb_version}_amd64.deb" >/dev/null
}

# The SBOM: every crate the binary is built from, as cargo resolves the
# release build (normal and build dependencies on the release target, with
# the features they get there; dev-dependencies play no part), with its
# version, licence, Cargo.lock checksum, repository and the graph between them.
sbom() { # source-tree out
    local tree="$1" scratch
    scratch="$(mktemp -d)"
    awk '/^\[\[package\]\]/ { n = v = "" } /^name = / { n = $3 } /^version = / { v = $3 }
        /^checksum = / { gsub(/"/, "", n); gsub(/"/, "", v); gsub(/"/, "", $3); print n "@" v, $3 }' "$tree/Cargo.lock" |
        jq -R -n '[inputs | split(" ") | {key: .[0], value: .[1]}] | from_entries' >"$scratch/sums.json"
    # One line per edge, "DEPTHname vVERSION[ (…)]|LICENCE|REPOSITORY[ (*)]";
    # a crate's parent is the nearest line above it one level up.
    (cd "$tree" && cargo tree --locked --offline -e normal,build --target "$triple" \
        --prefix depth -f '{p}|{l}|{r}') |
        awk -F'|' '{
            sub(/ \(\*\)$/, "")
            match($1, /^[0-9]+/); depth = substr($1, 1, RLENGTH) + 0
            split(substr($1, RLENGTH + 1), p, " "); id = p[1] "@" substr(p[2], 2)
            at[depth] = id
            if (depth == 0) next
            print "N\t" p[1] "\t" substr(p[2], 2) "\t" $2 "\t" $3
            if (depth > 1) print "E\t" at[depth - 1] "\t" id; else print "R\t" id
        }' >"$scratch/graph.tsv"
    jq -R -n --slurpfile checksums "$scratch/sums.json" \
        --arg version "$version" --arg commit "$commit" --arg epoch "$SOURCE_DATE_EPOCH" \
        --arg rustc "$(rustc -V)" --arg cargo "$(cargo -V)" \
        --arg serial "$(printf '%s %s' "$version" "$commit" | sha256sum | cut -c1-32)" '
        $checksums[0] as $sums
        | [inputs | split("\t")] as $rows
        | "pkg:cargo/launchpad@\($version)" as $root
        | ($rows | map(select(.[0] == "N")) | unique_by(.[1], .[2])) as $crates
        | ($rows | map(select(.[0] == "E" or .[0] == "R")
            | {from: (if .[0] == "R" then $root else "pkg:cargo/\(.[1])" end), to: "pkg:cargo/\(.[-1])"})
            | group_by(.from) | map({key: .[0].from, value: (map(.to) | unique)}) | from_entries) as $edges
        | ($serial | "\(.[0:8])-\(.[8:12])-5\(.[13:16])-8\(.[17:20])-\(.[20:32])") as $uuid
        | {
            bomFormat: "CycloneDX",
            specVersion: "1.5",
            serialNumber: "urn:uuid:\($uuid)",
            version: 1,
            metadata: {
              timestamp: ($epoch | tonumber | todate),
              tools: {components: [
                {type: "application", name: "cargo", version: ($cargo | split(" ")[1])},
                {type: "application", name: "rustc", version: ($rustc | split(" ")[1])}
              ]},
              component: {
                type: "application", "bom-ref": $root, name: "launchpad", version: $version, purl: $root,
                licenses: [{expression: "MIT"}],
                properties: [{name: "git:commit", value: $commit}]
              }
            },
            components: [$crates[] | {name: .[1], version: .[2], licence: .[3], repository: .[4]}
              | "pkg:cargo/\(.name)@\(.version)" as $purl
              | {type: "library", "bom-ref": $purl, name, version, purl: $purl}
              + (if .licence != "" then {licenses: [{expression: .licence}]}
                 else {licenses: [{license: {name: "the licence file in the crate"}}]} end)
              + (if $sums["\(.name)@\(.version)"] then {hashes: [{alg: "SHA-256", content: $sums["\(.name)@\(.version)"]}]} else {} end)
              + (if .repository != "" then {externalReferences: [{type: "vcs", url: .repository}]} else {} end)
            ] | sort_by(.name, .version),
            dependencies: ([$root] + [$crates[] | "pkg:cargo/\(.[1])@\(.[2])"]
              | map({ref: ., dependsOn: ($edges[.] // [])}) | sort_by(.ref))
          }' <"$scratch/graph.tsv" >"$2/launchpad-$version.cdx.json"
    rm -rf "$scratch"
}

# Writes the four artifacts for BINARY, built from TREE, into OUT.
artifacts() { # tree binary out
    local stage
    stage="$(mktemp -d)"
    mkdir -p "$3"
    rm -f "$3"/launchpad-*-"$triple".tar.gz "$3"/launchpad_*_amd64.deb "$3"/launchpad-*.cdx.json "$3/SHA256SUMS"
    tarball "$1" "$2" "$stage" "$3"
    deb "$1" "$2" "$stage" "$3"
    sbom "$1" "$3"
    (cd "$3" && sha256sum "launchpad-$version-$triple.tar.gz" "launchpad_${deb_version}_amd64.deb" \
        "launchpad-$version.cdx.json" >SHA256SUMS)
    rm -rf "$stage"
}

case "$mode" in
release)
    clean_tree
    bin="$(build "${LAUNCHPAD_BUILD_DIR:-$repo/target/release-build}")"
    "$bin" --version | grep -qF "launchpad $version (commit $commit)" || die "the built binary says $("$bin" --version)"
    artifacts "${LAUNCHPAD_BUILD_DIR:-$repo/target/release-build}/src" "$bin" "$out"
    say "release $version (commit $commit, SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH) in $out:"
    (cd "$out" && sed 's/^/  /' SHA256SUMS)
    say "binary: $(stat -c %s "$bin") bytes; verify with: cd $out && sha256sum -c SHA256SUMS"
    if ! git tag --points-at "$rev" | grep -qxF "v$version"; then
        say "note: $commit is not tagged v$version; tag what you publish: git tag -a v$version -m 'LaunchPad $version' $commit"
    fi
    # The contract test holds later changes to this release's API document.
    if ! cmp -s "$repo/tests/contract/openapi.json" "$repo/tests/contract/openapi-$version.json"; then
        say "note: record this release's API contract: cp tests/contract/openapi.json tests/contract/openapi-$version.json, and head CHANGELOG.md's [Unreleased] section [$version]"
    fi
    ;;
check)
    clean_tree
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    # Two folders that differ in name and depth.
    first="$work/a"
    second="$work/second-build/elsewhere"
    one="$(build "$first")"
    two="$(build "$second")"
    artifacts "$first/src" "$one" "$work/dist-a"
    artifacts "$second/src" "$two" "$work/dist-b"
    status=0
    sum_one="$(sha256sum <"$one" | cut -d' ' -f1)"
    sum_two="$(sha256sum <"$two" | cut -d' ' -f1)"
    say "binary built in $first:  $sum_one"
    say "binary built in $second: $sum_two"
    if [[ "$sum_one" == "$sum_two" ]]; then
        say "the binaries are byte-identical ($(stat -c %s "$one") bytes)"
    else
        say "FAIL: the binaries differ ($(cmp -l "$one" "$two" | wc -l) bytes); compare them with diffoscope"
        status=1
    fi
    if diff -u "$work/dist-a/SHA256SUMS" "$work/dist-b/SHA256SUMS"; then
        say "every artifact is byte-identical:"
        sed 's/^/  /' "$work/dist-a/SHA256SUMS"
    else
        say "FAIL: the artifacts differ (above)"
        status=1
    fi
    exit "$status"
    ;;
package)
    [[ -x "$binary" ]] || die "no executable at $binary"
    "$binary" --version | grep -qF "launchpad $version " ||
        die "$binary says \`$("$binary" --version)\`, not version $version of Cargo.toml"
    artifacts "$repo" "$binary" "$out"
    say "packaged $binary as $version in $out (--binary: not a release build)"
    ;;
esac
