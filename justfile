# earmix tasks. `just` alone lists them.

set shell := ["bash", "-euo", "pipefail", "-c"]

# The system packages the build needs (Debian/Ubuntu names): ALSA, PipeWire, JACK and D-Bus (rtkit)
# headers, with clang and pkg-config for the bindings.
build_packages := "pkg-config libasound2-dev libpipewire-0.3-dev libjack-jackd2-dev libdbus-1-dev clang"
# What the tests need beside: flac, sox and lame make test files; PipeWire, WirePlumber, D-Bus and
# jackd2 are the paced sound servers the tests start in temporary folders and play through;
# libasound2-plugins holds ALSA's jack device, which a test plays through.
test_packages := "flac sox lame pipewire pipewire-bin wireplumber dbus jackd2 libasound2-plugins"

# List the recipes.
default:
    @just --list

# Install the system packages the build needs when they are missing.
deps: (install build_packages)

# Install the system packages the build and the tests need when they are missing.
test-deps: (install build_packages + " " + test_packages)

[private]
install packages:
    #!/usr/bin/env bash
    set -euo pipefail
    missing=()
    for p in {{packages}}; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
    echo "just: installing missing system packages: ${missing[*]}"
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    # jackd2 asks whether to allow realtime scheduling; the tests run it without.
    echo "jackd2 jackd/tweak_rt_limits boolean false" | $sudo debconf-set-selections
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"

# Open the folk-arc demo in the console (its stems are generated first when missing). ? shows the keys, q quits.
demo: deps
    # Not --quiet: the first build takes minutes, and cargo's progress shows it is working.
    cargo build --release --locked
    ./target/release/earmix

# Format check, clippy and the API docs with warnings denied, and the whole test suite.
test: test-deps
    cargo fmt --all --check
    cargo clippy --all-targets --locked -- -D warnings
    RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --locked
    cargo test --locked -- --skip dropouts::
    # The dropout tests compare the gaps a paced server recorded with what earmix counted: they
    # run after the rest, one at a time, so that the suite's own load does not make the gaps.
    cargo test --locked --test it dropouts:: -- --test-threads=1

# Format check, clippy and the API docs with warnings denied; no tests.
lint:
    cargo fmt --all --check
    cargo clippy --all-targets --locked -- -D warnings
    RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --locked

# Benchmarks (not part of `just test`): the bounce next to sox and ffmpeg, realtime capacity, earmix on a desktop's sound servers, then a MIDI fader to the audio thread (~27 min).
bench: test-deps
    #!/usr/bin/env bash
    set -euo pipefail
    # bounce: earmix's offline bounce next to sox and ffmpeg on the same files (WAV 16/24-bit and
    # float, FLAC, MP3; the report and the exercises' measuring beside it). realtime: 16 to
    # 256 streamed stems, 60 s each, on the null output and (with jackd2 and libasound2-plugins)
    # on a JACK dummy device. desktop: the earmix binary on a headless PipeWire null sink and a
    # JACK dummy (through libasound2-plugins' jack plugin unless built with --features jack):
    # key to sound at the server, CPU playing and paused, dropouts with and without load (~9 min).
    # surface: a JACK MIDI fader box moving earmix's fader 1 on a JACK dummy, send to the first
    # changed frame, next to a key press (~2 min).
    sudo=""; if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    missing=()
    for p in sox ffmpeg; do command -v "$p" >/dev/null || missing+=("$p"); done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "just bench: installing ${missing[*]} for the side-by-side comparison"
        $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
    fi
    # The realtime and desktop benches' JACK half. Optional: when these cannot be installed,
    # they say so and run without it. The preseed answers jackd2's question about realtime
    # limits.
    jack=()
    for p in jackd2 libasound2-plugins; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || jack+=("$p")
    done
    if [ ${#jack[@]} -gt 0 ]; then
        echo "just bench: installing ${jack[*]} for the realtime bench's JACK dummy device"
        { echo "jackd2 jackd/tweak_rt_limits boolean false" | $sudo debconf-set-selections \
            && $sudo apt-get update -qq \
            && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${jack[@]}"; } \
            || echo "just bench: could not install ${jack[*]}; the JACK runs will be skipped"
    fi
    cargo bench --bench bounce
    cargo bench --bench realtime
    cargo bench --bench desktop
    cargo bench --bench surface

# What CI runs on a fresh clone.
ci:
    bash .ci/run
