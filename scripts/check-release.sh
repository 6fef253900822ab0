#!/usr/bin/env bash
# Checks what scripts/release.sh makes, with the given binary packaged by
# `release.sh --binary` (a release build takes minutes; the packaging is the
# same): the four artifacts and their names, SHA256SUMS over them, the
# tarball's contents and that its install.sh installs from it, the SBOM
# (CycloneDX, every crate of the build with its version, licence and
# checksum), and that packaging twice gives the same bytes.
# The .deb itself is checked by scripts/check-install.sh; that two builds of
# the binary are identical is `scripts/release.sh --check-reproducible`.
#
# Usage: scripts/check-release.sh [BINARY]   (default target/debug/launchpad)
set -euo pipefail
cd "$(dirname "$0")/.."

binary="${1:-target/debug/launchpad}"
[[ -x "$binary" ]] || { echo "check-release: no binary at $binary; run cargo build first" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failures=0
fail() {
    echo "check-release: FAIL: $*"
    failures=$((failures + 1))
}

version="$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)"
triple=x86_64-unknown-linux-gnu
tarball="launchpad-$version-$triple.tar.gz"
deb="launchpad_${version/-/\~}_amd64.deb"
sbom="launchpad-$version.cdx.json"
# A stripped copy packs in seconds.
strip -o "$work/launchpad" "$binary"

echo "packaging $version twice"
scripts/release.sh --binary "$work/launchpad" --out "$work/one" >/dev/null
scripts/release.sh --binary "$work/launchpad" --out "$work/two" >/dev/null
cmp -s "$work/one/SHA256SUMS" "$work/two/SHA256SUMS" || fail "packaging the same binary twice gave different artifacts"

echo "the artifacts and SHA256SUMS"
dist="$work/one"
made="$(find "$dist" -mindepth 1 -printf '%f\n' | sort)"
[[ "$made" == "$(printf '%s\n' SHA256SUMS "$sbom" "$tarball" "$deb" | sort)" ]] ||
    fail "the artifacts are $(tr '\n' ' ' <<<"$made"), not the tarball, the .deb, the SBOM and SHA256SUMS"
(cd "$dist" && sha256sum --quiet -c SHA256SUMS) || fail "SHA256SUMS does not verify"
[[ "$(awk '{ print $2 }' "$dist/SHA256SUMS" | sort)" == "$(printf '%s\n' "$sbom" "$tarball" "$deb" | sort)" ]] ||
    fail "SHA256SUMS does not cover exactly the three artifacts"

echo "the tarball"
top="launchpad-$version-$triple"
listing="$(tar -tzvf "$dist/$tarball" | awk '{ print $1, $2, $6 }')"
for entry in "-rwxr-xr-x 0/0 $top/launchpad" "-rwxr-xr-x 0/0 $top/scripts/install.sh" \
    "-rwxr-xr-x 0/0 $top/scripts/upgrade.sh" "-rw-r--r-- 0/0 $top/README.md" "-rw-r--r-- 0/0 $top/LICENSE" \
    "-rw-r--r-- 0/0 $top/systemd/launchpad.service" "-rw-r--r-- 0/0 $top/systemd/launchpad-backup.service" \
    "-rw-r--r-- 0/0 $top/systemd/launchpad-backup.timer" "-rw-r--r-- 0/0 $top/packaging/launchpad.toml" \
    "-rwxr-xr-x 0/0 $top/packaging/launchpad-identity" "-rw-r--r-- 0/0 $top/runbooks/upgrade.md" \
    "-rw-r--r-- 0/0 $top/runbooks/monitoring/alerts.yml"; do
    grep -qxF -- "$entry" <<<"$listing" || fail "the tarball lacks: $entry"
done
tar -xzf "$dist/$tarball" -C "$work"
cmp -s "$work/launchpad" "$work/$top/launchpad" || fail "the tarball's binary is not the one packaged"
mkdir "$work/root"
"$work/$top/scripts/install.sh" --root "$work/root" >"$work/install.out" 2>&1 ||
    fail "the tarball's install.sh failed: $(cat "$work/install.out")"
cmp -s "$work/launchpad" "$work/root/usr/local/bin/launchpad" ||
    fail "the tarball's install.sh did not install the tarball's binary by default"

echo "the SBOM"
bom="$dist/$sbom"
jq -e '.bomFormat == "CycloneDX" and .specVersion == "1.5" and (.serialNumber | startswith("urn:uuid:"))' "$bom" >/dev/null ||
    fail "$sbom is not a CycloneDX 1.5 document"
jq -e --arg v "$version" '.metadata.component | .name == "launchpad" and .version == $v and .licenses[0].expression == "MIT"' \
    "$bom" >/dev/null || fail "the SBOM's component is not launchpad $version (MIT)"
# What cargo builds into the release binary, computed independently.
cargo tree --locked --offline -e normal,build --target "$triple" --prefix none -f '{p}' |
    sed 's/ (\*)$//' | awk '$1 != "launchpad" { print $1 "@" substr($2, 2) }' | sort -u >"$work/built"
jq -r '.components[] | "\(.name)@\(.version)"' "$bom" | sort -u >"$work/listed"
missing="$(comm -23 "$work/built" "$work/listed")"
extra="$(comm -13 "$work/built" "$work/listed")"
[[ -z "$missing" ]] || fail "the SBOM lacks crates of the build: $(tr '\n' ' ' <<<"$missing")"
[[ -z "$extra" ]] || fail "the SBOM lists crates that are not built: $(tr '\n' ' ' <<<"$extra")"
incomplete="$(jq -r '.components[] | select((.licenses[0].expression // "") == "" or (.purl | startswith("pkg:cargo/") | not)
    or ((.hashes[0].alg // "") != "SHA-256")) | .name' "$bom")"
[[ -z "$incomplete" ]] || fail "SBOM components without a licence expression, purl or SHA-256: $(tr '\n' ' ' <<<"$incomplete")"
jq -e --arg v "$version" '.dependencies | map(select(.ref == "pkg:cargo/launchpad@\($v)")) | .[0].dependsOn | length > 10' \
    "$bom" >/dev/null || fail "the SBOM's dependency graph does not start at launchpad"
echo "  $(wc -l <"$work/listed") crates, each with its version, licence and checksum"

if ((failures)); then
    echo "check-release: $failures failure(s)"
    exit 1
fi
echo "check-release: artifacts, checksums, tarball and SBOM are complete and reproducible"
